// The cluster's socket layer: wraps the single-node handlers. Before a connection reaches them, its room is made
// local (a replica for a viewer, the origin for a presenter) with an async directory step; messages that arrive
// meanwhile are held and replayed in order.
import { CloseCode, encodeError } from '../../shared/protocol';
import { TilecastError, UnauthorizedError } from '../errors';
import type { Logger } from '../log';
import type { TokenSigner } from '../room/tokens';
import type { ConnContext } from '../sockets/context';
import type { Connection, SocketHandlers } from '../transport/types';
import type { ClusterNode } from './node';

type Conn = Connection<ConnContext>;

const MAX_HELD_BYTES = 16 * 1024 * 1024;

interface Held {
  bytes: number;
  messages: [Uint8Array, boolean][];
  closed: boolean;
}

export interface ClusterSockets extends SocketHandlers<ConnContext> {
  /** closes every connection with 1001: a node leaving on purpose; clients reconnect to another node */
  closeAll(reason: string): void;
}

export function clusterSockets(
  inner: SocketHandlers<ConnContext>,
  node: ClusterNode,
  tokens: TokenSigner,
  log: Logger,
): ClusterSockets {
  const held = new Map<Conn, Held>();
  const live = new Set<Conn>();

  function fail(conn: Conn, err: unknown): void {
    const known = err instanceof TilecastError;
    if (!known) log.error({ err, room: conn.context.roomId }, 'cluster open failed; closing that connection only');
    const code = known ? err.closeCode : CloseCode.InternalError;
    const message = known ? err.message : 'internal error';
    conn.send(encodeError(code, message));
    conn.close(code, message);
  }

  async function prepare(ctx: ConnContext): Promise<void> {
    if (ctx.role === 'presenter') {
      // Tokens are checked on every node with the shared secret, before any directory work.
      if (!tokens.verify(ctx.roomId, 'presenter', ctx.token))
        throw new UnauthorizedError(ctx.token ? 'wrong presenter token' : 'presenter token missing (?token=...)');
      await node.becomeOrigin(ctx.roomId);
    } else {
      await node.replica(ctx.roomId);
    }
  }

  return {
    upgrade: (req) => inner.upgrade(req),

    closeAll(reason) {
      for (const conn of [...live]) conn.close(CloseCode.GoingAway, reason);
    },

    open(conn) {
      const ctx = conn.context;
      live.add(conn);
      // The common case, a viewer of a room already here, stays synchronous.
      if (ctx.role === 'viewer' && node.serves(ctx.roomId)) {
        inner.open(conn);
        return node.viewersChanged();
      }
      const h: Held = { bytes: 0, messages: [], closed: false };
      held.set(conn, h);
      prepare(ctx).then(
        () => {
          held.delete(conn);
          const room = node.store.get(ctx.roomId);
          if (h.closed) return void (ctx.role === 'presenter' && room && node.presenterChanged(room));
          inner.open(conn);
          if (ctx.role === 'presenter' && ctx.room) node.presenterChanged(ctx.room, conn);
          else node.viewersChanged();
          for (const [data, binary] of h.messages) if (conn.open) inner.message(conn, data, binary);
        },
        (err) => {
          held.delete(conn);
          if (!h.closed) fail(conn, err);
        },
      );
    },

    message(conn, data, binary) {
      const h = held.get(conn);
      if (!h) return inner.message(conn, data, binary);
      h.bytes += data.byteLength;
      // Held only for the few milliseconds of a directory round trip; a flood meanwhile is refused.
      if (h.bytes > MAX_HELD_BYTES) {
        held.delete(conn);
        h.closed = true;
        return fail(
          conn,
          new TilecastError('OVERLOADED', 'too much data before the room was ready', CloseCode.Overloaded, 503),
        );
      }
      h.messages.push([Uint8Array.from(data), binary]);
    },

    drain: (conn) => inner.drain(conn),

    close(conn, code, reason) {
      live.delete(conn);
      const h = held.get(conn);
      if (h) h.closed = true;
      inner.close(conn, code, reason);
      const { room, role } = conn.context;
      if (!room) return;
      if (role === 'presenter') node.presenterChanged(room);
      else node.viewerLeft(room);
    },
  };
}
