// WebSocket routing: upgrade (path, Origin), open (room, token, role), message (size, control JSON, ingest),
// drain and close. Any error closes only the offending connection, with a documented close code and reason.
import { ZodError } from 'zod';
import {
  CloseCode,
  PROTOCOL_VERSION,
  ProtocolError,
  type ServerControl,
  encodeError,
  encodeStatus,
  canonicalAckSyncs,
  parseClientControl,
} from '../../shared/protocol';
import type { Config } from '../config';
import {
  BadControlError,
  ControlTooBigError,
  InternalError,
  MessageTooBigError,
  MisdirectedError,
  NoSocketEndpointError,
  NotAllowedError,
  OriginNotAllowedError,
  TooManyMessagesError,
  RoomNotFoundError,
  TilecastError,
  UnauthorizedError,
  describeIssues,
} from '../errors';
import { ingestPresenterMessage } from '../ingest/presenter-ingest';
import type { Logger } from '../log';
import type { RoomStore } from '../room/registry';
import type { TokenSigner } from '../room/tokens';
import type { Connection, SocketHandlers } from '../transport/types';
import type { ConnContext } from './context';
import { hostAllowed } from '../http/public-hosts';
import { originAllowed } from './origin';
import { TokenBucket } from './rate-limit';

const ROUTE = /^\/ws\/(present|view)\/([A-Za-z0-9_-]{1,64})\/?$/;

export interface SocketDeps {
  config: Config;
  rooms: RoomStore;
  tokens: TokenSigner;
  log: Logger;
}

type Conn = Connection<ConnContext>;

export function createSocketHandlers({ config, rooms, tokens, log }: SocketDeps): SocketHandlers<ConnContext> {
  const limits = {
    maxMessageBytes: config.maxMessageBytes,
    maxTileBytes: config.maxTileBytes,
    maxTilesPerFrame: config.maxTilesPerFrame,
    maxTilesPerRoom: config.maxTilesPerRoom,
    maxGeometryChangesPerSecond: config.maxGeometryChangesPerSecond,
    ackWindow: config.viewerAckWindow,
  };

  const publicHost = hostAllowed(config.publicHosts);

  function fail(conn: Conn, code: number, message: string): void {
    conn.send(encodeError(code, message));
    conn.close(code, message);
  }

  function failWith(conn: Conn, err: unknown): void {
    if (err instanceof ProtocolError || err instanceof TilecastError) return fail(conn, err.closeCode, err.message);
    if (err instanceof ZodError) return failWith(conn, new BadControlError(describeIssues(err, 'message')));
    if (err instanceof SyntaxError) return failWith(conn, new BadControlError(err.message));
    log.error(
      { err, room: conn.context.roomId, role: conn.context.role },
      'handler failed; closing that connection only',
    );
    failWith(conn, new InternalError());
  }

  /** An upgrade refused with the error's HTTP status and message. */
  function refuse(err: TilecastError): { accept: false; status: number; message: string } {
    return { accept: false, status: err.httpStatus, message: err.message };
  }

  function welcome(conn: Conn, resumed: boolean): void {
    const msg: ServerControl = {
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      role: conn.context.role,
      room: conn.context.roomId,
      resumed,
      limits,
    };
    conn.send(JSON.stringify(msg), false);
  }

  function openConnection(conn: Conn): void {
    const ctx = conn.context;
    const room = rooms.get(ctx.roomId);
    if (!room) {
      if (rooms.wasEnded(ctx.roomId)) {
        conn.send(encodeStatus('ended', 0));
        return conn.close(CloseCode.Normal, 'room ended');
      }
      throw new RoomNotFoundError(ctx.roomId);
    }
    if (ctx.role === 'presenter') {
      if (!tokens.verify(room.id, 'presenter', ctx.token))
        throw new UnauthorizedError(
          ctx.token ? 'wrong presenter token (or expired)' : 'presenter token missing (?token=...)',
        );
      const { resumed } = room.attachPresenter(conn);
      ctx.room = room;
      welcome(conn, resumed);
      conn.send(encodeStatus(room.state, room.viewerCount));
      return;
    }
    if (room.options.private && !tokens.admitsViewer(room.id, ctx.token))
      throw new UnauthorizedError(
        ctx.token
          ? 'wrong viewer token (or expired or revoked)'
          : 'this room is private: viewer token missing (?token=...)',
      );
    ctx.room = room;
    welcome(conn, false);
    ctx.viewer = room.addViewer(conn);
  }

  function control(conn: Conn, text: string): void {
    const msg = parseClientControl(text);
    switch (msg.type) {
      case 'hello':
        return;
      case 'ping':
        // Replies obey the tiles' backpressure rule: a peer that does not read gets no more queued for it.
        if (conn.bufferedAmount() > config.viewerHighWaterBytes) return;
        conn.send(JSON.stringify({ type: 'pong', t: msg.t, serverTime: Date.now() } satisfies ServerControl), false);
        return;
      case 'ack': {
        const { room, viewer } = conn.context;
        if (!viewer) throw new NotAllowedError('only viewers ack syncs');
        room?.ackViewer(viewer, msg.syncs);
        return;
      }
      case 'end':
        if (conn.context.role !== 'presenter') throw new NotAllowedError('only the presenter can end the room');
        conn.context.endRequested = true;
        conn.context.room?.end('presenter ended the session');
        return;
    }
  }

  return {
    upgrade(req) {
      const match = ROUTE.exec(req.path);
      if (!match) return refuse(new NoSocketEndpointError());
      if (!publicHost(req.headers.host)) return refuse(new MisdirectedError(req.headers.host));
      if (!originAllowed(req.headers, config.allowedOrigins, publicHost))
        return refuse(new OriginNotAllowedError(req.headers.origin));
      return {
        accept: true,
        context: {
          role: match[1] === 'present' ? 'presenter' : 'viewer',
          roomId: match[2],
          token: req.query.get('token'),
          room: null,
          viewer: null,
          endRequested: false,
          bucket: new TokenBucket(config.controlRatePerSecond, config.controlBurst),
        },
      };
    },

    open(conn) {
      try {
        openConnection(conn);
      } catch (err) {
        failWith(conn, err);
      }
    },

    message(conn, data, binary) {
      const ctx = conn.context;
      try {
        if (data.byteLength > config.maxMessageBytes)
          throw new MessageTooBigError(data.byteLength, config.maxMessageBytes);
        if (!binary) {
          // Checked before parsing: a deep JSON bomb of a few MB stalls the event loop for everybody.
          if (data.byteLength > config.maxControlBytes)
            throw new ControlTooBigError(data.byteLength, config.maxControlBytes);
          if (!ctx.bucket.take()) throw new TooManyMessagesError(config.controlRatePerSecond, config.controlBurst);
        }
        if (!ctx.room || ctx.room.ended) return;
        if (!binary && ctx.viewer) {
          const syncs = canonicalAckSyncs(data);
          if (syncs >= 0) return ctx.room.ackViewer(ctx.viewer, syncs);
        }
        if (!binary) return control(conn, Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
        if (ctx.role !== 'presenter') throw new NotAllowedError('viewers may not send binary messages');
        ingestPresenterMessage(ctx.room, data, limits);
      } catch (err) {
        failWith(conn, err);
      }
    },

    drain(conn) {
      const { room, viewer } = conn.context;
      if (room && viewer) room.drainViewer(viewer);
    },

    close(conn, code) {
      const { room, viewer, role, endRequested } = conn.context;
      if (!room) return;
      try {
        if (role === 'presenter') room.presenterLeft(conn, endRequested || code === CloseCode.Normal);
        else if (viewer) room.removeViewer(viewer);
      } catch (err) {
        log.error({ err, room: room.id }, 'close handler failed');
      }
    },
  };
}
