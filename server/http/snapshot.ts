// GET /api/rooms/:id/snapshot.{png,jpeg,webp}?width= : the ScreenShot rendered by the bounded tile renderer
// (server/imaging/render-tiles.ts) through the server's image queue (503 when full). The tile refs are taken
// synchronously from the room's current keyframe; the images are passed to sharp as views.
import { z } from 'zod';
import { NoPictureError, UnauthorizedError } from '../errors';
import type { ImageJobs } from '../imaging/image-jobs';
import { IMAGE_FORMATS, imageMime, renderTiles, tileImages } from '../imaging/render-tiles';
import type { RoomStore } from '../room/registry';
import type { TokenSigner } from '../room/tokens';
import { mayWatch } from './access';
import { findRoom } from './rooms-api';
import type { Route } from './router';

const Query = z.object({
  width: z.coerce.number().int().min(16).max(8192).optional(),
  token: z.string().max(200).optional(),
});

export function snapshotRoutes(
  rooms: RoomStore,
  tokens: TokenSigner,
  adminToken: string | undefined,
  images: ImageJobs,
): Route[] {
  return IMAGE_FORMATS.map((format) => ({
    method: 'GET' as const,
    pattern: `/api/rooms/:id/snapshot.${format}`,
    handler: async (req, { id }) => {
      const query = Query.parse(Object.fromEntries(req.query));
      const room = findRoom(rooms, id);
      if (room.options.private && !mayWatch(req, id, tokens, adminToken))
        throw new UnauthorizedError('this room is private: snapshot needs ?token=');
      const keyframe = room.keyframe();
      const geometry = keyframe.geometry;
      if (!geometry) throw new NoPictureError(`room ${id} has no picture yet`);
      const tiles = tileImages(keyframe.tiles);
      const body = await images.run(() => renderTiles(geometry, tiles, format, query.width, req.signal), req.signal);
      return { status: 200, headers: { 'content-type': imageMime(format), 'cache-control': 'no-store' }, body };
    },
  }));
}
