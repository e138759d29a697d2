// GET /api/rooms/:id/snapshot.{png,jpeg,webp}?width= : the ScreenShot rendered by the bounded tile renderer
// (server/imaging/render-tiles.ts) through the server's image queue (503 when full). The tile refs are taken
// synchronously from one ScreenShot generation; the images are passed to sharp as views.
import { z } from 'zod';
import { TILE_HEADER_BYTES } from '../../shared/protocol';
import { TilecastError, UnauthorizedError } from '../errors';
import type { ImageJobs } from '../imaging/image-jobs';
import { type ImageFormat, type TileImage, renderTiles } from '../imaging/render-tiles';
import type { RoomStore } from '../room/registry';
import type { TokenSigner } from '../room/tokens';
import { findRoom } from './rooms-api';
import type { Route } from './router';

const Query = z.object({
  width: z.coerce.number().int().min(16).max(8192).optional(),
  token: z.string().max(200).optional(),
});

const FORMATS: Record<ImageFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' };

export function snapshotRoutes(rooms: RoomStore, tokens: TokenSigner, images: ImageJobs): Route[] {
  return (Object.keys(FORMATS) as ImageFormat[]).map((format) => ({
    method: 'GET' as const,
    pattern: `/api/rooms/:id/snapshot.${format}`,
    handler: async (req, { id }) => {
      const query = Query.parse(Object.fromEntries(req.query));
      const room = findRoom(rooms, id);
      if (room.options.private && !tokens.admitsViewer(id, query.token))
        throw new UnauthorizedError('this room is private: snapshot needs ?token=');
      const keyframe = room.keyframe();
      const geometry = keyframe.geometry;
      if (!geometry) throw new TilecastError('NO_PICTURE', `room ${id} has no picture yet`, 0, 404);
      // Take the refs now: the generation may be recycled after two more frames, the tiles never are.
      const tiles: TileImage[] = [];
      for (const t of keyframe.tiles) if (t) tiles.push({ col: t.col, row: t.row, payload: t.message.subarray(TILE_HEADER_BYTES) });
      const body = await images.run(() => renderTiles(geometry, tiles, format, query.width, req.signal), req.signal);
      return { status: 200, headers: { 'content-type': FORMATS[format], 'cache-control': 'no-store' }, body };
    },
  }));
}
