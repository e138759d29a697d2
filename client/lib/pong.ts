// The viewer reads one server control message, the clock's pong. Parsing it by hand keeps zod out of the viewer
// page: zod was 59 KB of view.js's 87 KB (minified), bytes to fetch, compile and run before the socket's picture
// can be drawn. shared/protocol/control.ts stays the definition; test/pages/pong.test.ts holds the two in step.

/** A server control message as the viewer sees it: a pong, or another message it has no use for. */
export type ViewerControl = { type: 'pong'; t: number; serverTime: number } | { type: 'other' };

/** Server -> client control types (ServerControl): the viewer ignores all but the pong. */
const OTHER_TYPES = new Set(['welcome', 'motionKey']);

/** Throws, as ServerControl.parse does, on anything that is not a server control message. */
export function parseViewerControl(text: string): ViewerControl {
  const msg: unknown = JSON.parse(text);
  if (typeof msg !== 'object' || msg === null) throw new Error('not a control message');
  const { type, t, serverTime } = msg as Record<string, unknown>;
  if (type === 'pong') {
    if (typeof t !== 'number' || typeof serverTime !== 'number') throw new Error('bad pong');
    return { type, t, serverTime };
  }
  if (typeof type === 'string' && OTHER_TYPES.has(type)) return { type: 'other' };
  throw new Error(`unknown control message ${String(type)}`);
}
