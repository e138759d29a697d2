// /api/rooms: create (optionally admin-only, rate-limited per client), list and inspect rooms, rotate viewer links.
// Private rooms are listed to the admin only; their details need one of the room's tokens or the admin token.
import { z } from 'zod';
import type { Config } from '../config';
import { BadRequestError, NotPrivateError, RateLimitedError, RoomNotFoundError, UnauthorizedError } from '../errors';
import type { RoomStore } from '../room/registry';
import type { Room } from '../room/room';
import type { TokenSigner } from '../room/tokens';
import type { ConnContext } from '../sockets/context';
import { CloseCode } from '../../shared/protocol';
import type { HttpRequest } from '../transport/types';
import { isAdmin, mayManage, mayWatch, requestToken } from './access';
import { clientAddress } from './client-address';
import { RateLimiter } from './rate-limit';
import { errorResponse } from '../transport/http-status';
import { type Route, json } from './router';

/** Longest token lifetime a room may ask for (a year): keeps `exp` a small number. */
const MAX_TTL_SECONDS = 365 * 24 * 3600;

const CreateRoomBody = z
  .object({
    name: z.string().trim().min(1).max(80).optional(),
    private: z.boolean().optional(),
    record: z.boolean().optional(),
    /** the room's tokens (presenter and viewer) expire this many seconds after creation */
    ttlSeconds: z.number().int().min(1).max(MAX_TTL_SECONDS).optional(),
  })
  .strict();

const RotateBody = z.object({ ttlSeconds: z.number().int().min(1).max(MAX_TTL_SECONDS).optional() }).strict();

function parseBody(req: HttpRequest): unknown {
  if (req.body.byteLength === 0) return {};
  try {
    return JSON.parse(Buffer.from(req.body).toString('utf8'));
  } catch {
    throw new BadRequestError('request body is not valid JSON');
  }
}

export function findRoom(rooms: RoomStore, id: string): Room {
  const room = rooms.get(id);
  if (!room) throw new RoomNotFoundError(id);
  return room;
}

export function roomRoutes(config: Config, rooms: RoomStore, tokens: TokenSigner): Route[] {
  const limiter = new RateLimiter(config.roomCreateBurst, config.roomCreatePerMinute);
  const addressOf = clientAddress(config.trustProxy);

  /** A private room's details: only for holders of one of its tokens (or the admin). */
  const visibleRoom = (req: HttpRequest, id: string): Room => {
    const room = findRoom(rooms, id);
    if (room.options.private && !mayWatch(req, room.id, tokens, config.adminToken))
      throw new UnauthorizedError(
        `room ${id} is private: its details need one of its tokens (?token= or Authorization: Bearer ...)`,
      );
    return room;
  };

  return [
    {
      method: 'POST',
      pattern: '/api/rooms',
      handler: async (req) => {
        const admin = isAdmin(req, config);
        if (config.adminToken && !admin)
          throw new UnauthorizedError('creating rooms needs the admin token (Authorization: Bearer ...)');
        if (!admin) {
          const take = limiter.take(addressOf(req.remoteAddress, req.headers));
          if (!take.ok)
            return errorResponse(new RateLimitedError(take.retryAfterSeconds), {
              'retry-after': String(take.retryAfterSeconds),
            });
        }
        const { ttlSeconds, ...body } = CreateRoomBody.parse(parseBody(req));
        const room = rooms.create(body);
        await rooms.whenStored?.(room.id);
        const presenterToken = tokens.sign(room.id, 'presenter', { ttlSeconds });
        const viewerToken = room.options.private ? tokens.sign(room.id, 'viewer', { ttlSeconds }) : null;
        return json(201, {
          id: room.id,
          name: room.options.name,
          private: room.options.private,
          record: room.options.record,
          presenterToken,
          viewerToken,
          expiresAt: ttlSeconds ? new Date(Date.now() + ttlSeconds * 1000).toISOString() : null,
          presenterUrl: `/present/${room.id}?token=${presenterToken}`,
          viewerUrl: `/view/${room.id}${viewerToken ? `?token=${viewerToken}` : ''}`,
        });
      },
    },
    {
      method: 'GET',
      pattern: '/api/rooms',
      handler: async (req) => {
        const all = isAdmin(req, config);
        return json(200, {
          rooms: rooms
            .list()
            .filter((r) => all || !r.options.private)
            .map((r) => r.info()),
        });
      },
    },
    {
      method: 'GET',
      pattern: '/api/rooms/:id',
      handler: async (req, { id }) => json(200, visibleRoom(req, id).info()),
    },
    {
      method: 'GET',
      pattern: '/api/rooms/:id/viewers',
      handler: async (req, { id }) => json(200, { viewers: visibleRoom(req, id).viewerStats() }),
    },
    {
      // Revokes the private room's viewer link: viewers holding an old viewer token are closed (4401) at once.
      method: 'POST',
      pattern: '/api/rooms/:id/viewer-token',
      handler: async (req, { id }) => {
        const room = findRoom(rooms, id);
        if (!mayManage(requestToken(req), room.id, tokens, config.adminToken))
          throw new UnauthorizedError(
            `rotating the viewer token of room ${id} needs its presenter token or the admin token`,
          );
        if (!room.options.private) throw new NotPrivateError(id);
        const { ttlSeconds } = RotateBody.parse(parseBody(req));
        const viewerToken = tokens.rotateViewer(room.id, { ttlSeconds });
        const closed = room.closeViewers(
          (ctx) => !tokens.admitsViewer(room.id, (ctx as ConnContext).token),
          CloseCode.Unauthorized,
          'viewer link revoked',
        );
        return json(200, { viewerToken, viewerUrl: `/view/${room.id}?token=${viewerToken}`, closedViewers: closed });
      },
    },
  ];
}
