// A Connection whose socket buffer the test controls: `buffered` grows with every send until the test "drains"
// it, and `dropping` makes the engine drop messages (send returns false), as uWS does under its backpressure cap.
import type { Connection } from '../../server/transport/types';
import { FrameFlag, type Message, MessageType, decodeMessage } from '../../shared/protocol';

export interface FakeConn extends Connection {
  buffered: number;
  open: boolean;
  dropping: boolean;
  /** every message the engine accepted, in order */
  readonly sent: Uint8Array[];
  closedWith: { code: number; reason: string } | null;
  /** the accepted messages, decoded */
  decoded(): Message[];
  /** the accepted messages as short lines ("tile 0,1 @2", "sync 2"): assertions read as the wire does */
  script(): string[];
  /** the engine flushed its buffer; the caller then signals drain */
  flushed(): void;
}

export function fakeConn(context: unknown = null): FakeConn {
  const conn: FakeConn = {
    context,
    open: true,
    buffered: 0,
    dropping: false,
    sent: [],
    closedWith: null,
    send(data) {
      if (!conn.open || conn.dropping) return false;
      const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
      conn.sent.push(bytes);
      conn.buffered += bytes.byteLength;
      return true;
    },
    bufferedAmount: () => conn.buffered,
    cork: (fn) => fn(),
    close(code, reason) {
      conn.open = false;
      conn.closedWith = { code, reason };
    },
    decoded: () => conn.sent.map((m) => decodeMessage(m)),
    script: () => conn.decoded().map(line),
    flushed() {
      conn.buffered = 0;
    },
  };
  return conn;
}

/** Waits for `n` turns of the event loop: the fan-out runs its steps in setImmediate callbacks. */
export async function turns(n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

function line(m: Message): string {
  switch (m.type) {
    case MessageType.Geometry:
      return `geometry ${m.geometry.width}x${m.geometry.height}/${m.geometry.tileSize}`;
    case MessageType.Status:
      return `status ${m.state} ${m.viewers}`;
    case MessageType.Cursor:
      return `cursor ${m.x},${m.y}`;
    case MessageType.Tile:
      return `tile ${m.col},${m.row} @${m.seq}`;
    case MessageType.Sync:
      return `sync ${m.seq}`; // `skipped` is asserted where a test is about it
    case MessageType.Frame:
      return `frame ${m.seq} [${m.tiles.map((t) => `${t.col},${t.row}`).join(' ')}]${m.flags & FrameFlag.EndsWithSync ? ' +sync' : ''}`;
    case MessageType.Error:
      return `error ${m.code} ${m.message}`;
    case MessageType.Motion:
      return `motion ${m.key ? 'key' : 'delta'} ${m.seq}`;
  }
}
