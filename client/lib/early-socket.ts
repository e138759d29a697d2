// The viewer page opens its socket from an inline script in view.html, while view.js is still being fetched and
// compiled, so the handshake and the keyframe's transfer overlap the page's start-up instead of following it. The
// inline script keeps every event the socket fires until the page's ReconnectingSocket adopts it.

/** What view.html's inline script leaves on `window.tilecastEarlySocket`. */
export interface EarlySocket {
  ws: WebSocket;
  /** open / message / error / close events fired before adoption, in order */
  events: Event[];
}

/** What became of the early socket: tests check that the page took it over. */
export let earlySocketOutcome: 'none' | 'adopted' | 'refused' = 'none';

/**
 * Hands over the early socket if it was opened to `url` (once: later calls get null). A socket opened to any other
 * URL (the page's rules for its socket URL changed and the inline script did not follow) is closed and ignored.
 */
export function takeEarlySocket(url: string): EarlySocket | null {
  const w = globalThis as { tilecastEarlySocket?: EarlySocket };
  const early = w.tilecastEarlySocket;
  if (!early) return null;
  w.tilecastEarlySocket = undefined;
  if (early.ws.url !== new URL(url).href) {
    earlySocketOutcome = 'refused';
    early.ws.close(1000, 'not adopted');
    return null;
  }
  earlySocketOutcome = 'adopted';
  return early;
}
