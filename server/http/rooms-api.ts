// /api/rooms: create (optionally admin-only), list and inspect rooms.
import { z } from 'zod';
import type { Config } from '../config';
import { BadRequestError, RoomNotFoundError, UnauthorizedError } from '../errors';
import type { RoomStore } from '../room/registry';
import type { Room } from '../room/room';
import { type TokenSigner, sameSecret } from '../room/tokens';
import type { HttpRequest } from '../transport/types';
import { type Route, json } from './router';

const CreateRoomBody = z
  .object({
    name: z.string().trim().min(1).max(80).optional(),
    private: z.boolean().optional(),
    record: z.boolean().optional(),
  })
  .strict();

export function bearer(req: HttpRequest): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers['authorization'] ?? '');
  return m ? m[1] : null;
}

export function isAdmin(req: HttpRequest, config: Config): boolean {
  const given = bearer(req);
  return !!config.adminToken && !!given && sameSecret(given, config.adminToken);
}

function parseBody(req: HttpRequest): unknown {
  if (req.body.byteLength === 0) return {};
  try {
    return JSON.parse(Buffer.from(req.body).toString('utf8'));
  } catch {
    throw new BadRequestError('request body is not valid JSON');
  }
}

/** Private rooms show up in lists (so operators see them) but without links or thumbnails for strangers. */
export function findRoom(rooms: RoomStore, id: string): Room {
  const room = rooms.get(id);
  if (!room) throw new RoomNotFoundError(id);
  return room;
}

export function roomRoutes(config: Config, rooms: RoomStore, tokens: TokenSigner): Route[] {
  return [
    {
      method: 'POST',
      pattern: '/api/rooms',
      handler: async (req) => {
        if (config.adminToken && !isAdmin(req, config))
          throw new UnauthorizedError('creating rooms needs the admin token (Authorization: Bearer ...)');
        const body = CreateRoomBody.parse(parseBody(req));
        const room = rooms.create(body);
        await rooms.whenStored?.(room.id);
        const presenterToken = tokens.sign(room.id, 'presenter');
        const viewerToken = room.options.private ? tokens.sign(room.id, 'viewer') : null;
        return json(201, {
          id: room.id,
          name: room.options.name,
          private: room.options.private,
          record: room.options.record,
          presenterToken,
          viewerToken,
          presenterUrl: `/present/${room.id}?token=${presenterToken}`,
          viewerUrl: `/view/${room.id}${viewerToken ? `?token=${viewerToken}` : ''}`,
        });
      },
    },
    {
      method: 'GET',
      pattern: '/api/rooms',
      handler: async () => json(200, { rooms: rooms.list().map((r) => r.info()) }),
    },
    {
      method: 'GET',
      pattern: '/api/rooms/:id',
      handler: async (_req, { id }) => json(200, findRoom(rooms, id).info()),
    },
    {
      method: 'GET',
      pattern: '/api/rooms/:id/viewers',
      handler: async (_req, { id }) => json(200, { viewers: findRoom(rooms, id).viewerStats() }),
    },
  ];
}
