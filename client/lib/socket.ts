// A WebSocket that reconnects with capped, jittered exponential backoff until told a close is final.
import type { EarlySocket } from './early-socket';

export interface SocketEvents {
  open(): void;
  message(data: ArrayBuffer | string): void;
  /** `retryInMs` is null when the socket gives up (final close code or stop()) */
  close(code: number, reason: string, retryInMs: number | null): void;
}

export interface SocketOptions {
  url: () => string;
  /** close codes after which reconnecting is pointless (room ended, unauthorized, not found...) */
  isFinal: (code: number) => boolean;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** a socket the page already opened to this URL (early-socket.ts), taken over instead of opening one */
  adopt?: (url: string) => EarlySocket | null;
}

export class ReconnectingSocket {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(
    private readonly opts: SocketOptions,
    private readonly on: SocketEvents,
  ) {}

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** bytes queued by the browser and not yet sent: the presenter's flow-control signal */
  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  connect(): void {
    this.stopped = false;
    const url = this.opts.url();
    const early = this.opts.adopt?.(url) ?? null;
    const ws = early?.ws ?? new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.on.open();
    };
    // A replaced socket (reconnectNow) may still deliver what was already queued: ignore it.
    ws.onmessage = (e) => {
      if (this.ws === ws) this.on.message(e.data as ArrayBuffer | string);
    };
    // onerror is always followed by onclose, which carries the useful information.
    ws.onerror = () => {};
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped || this.opts.isFinal(e.code)) {
        this.on.close(e.code, e.reason, null);
        return;
      }
      const base = Math.min(this.opts.maxDelayMs ?? 8000, (this.opts.minDelayMs ?? 400) * 2 ** this.attempt++);
      const delay = Math.round(base * (0.75 + Math.random() * 0.5));
      this.on.close(e.code, e.reason, delay);
      this.timer = setTimeout(() => this.connect(), delay);
    };
    // What the early socket did before it was ours, in order, as if these handlers had been there all along (called
    // directly: dispatching the events again would reach the socket's other listeners twice).
    for (const e of early?.events ?? []) {
      if (e.type === 'open') ws.onopen(e);
      else if (e.type === 'message') ws.onmessage(e as MessageEvent);
      else if (e.type === 'close') ws.onclose(e as CloseEvent);
    }
  }

  send(data: Uint8Array | ArrayBuffer | string): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(data);
    return true;
  }

  /** Closes without reconnecting. */
  stop(code = 1000, reason = 'bye'): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const ws = this.ws;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close(code, reason);
  }

  /** Replaces the connection at once, without a close event or backoff (a viewer skipping its backlog). */
  reconnectNow(): void {
    const old = this.ws;
    this.ws = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (old && old.readyState <= WebSocket.OPEN) old.close(4998, 'resync');
    this.connect();
  }

  /** Drops the current connection as a network failure would (tests, "reconnect now"). */
  drop(): void {
    this.ws?.close(4999, 'dropped by client');
  }
}
