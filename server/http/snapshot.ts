// GET /api/rooms/:id/snapshot.{png,jpeg,webp}?width= : the ScreenShot composited by sharp on libuv's thread pool.
// The tile refs are taken synchronously from one ScreenShot generation; the images are passed to sharp as views.
import sharp, { type OverlayOptions } from 'sharp';
import { z } from 'zod';
import { TILE_HEADER_BYTES, tileRect } from '../../shared/protocol';
import { TilecastError, UnauthorizedError } from '../errors';
import type { RoomStore } from '../room/registry';
import type { TileEntry } from '../room/tile-entry';
import type { TokenSigner } from '../room/tokens';
import type { Geometry } from '../../shared/protocol';
import { findRoom } from './rooms-api';
import type { Route } from './router';

const Query = z.object({
  width: z.coerce.number().int().min(16).max(8192).optional(),
  token: z.string().max(200).optional(),
});

const FORMATS = { png: 'image/png', jpeg: 'image/jpeg', webp: 'image/webp' } as const;
type Format = keyof typeof FORMATS;

function payloadOf(tile: TileEntry): Buffer {
  const m = tile.message;
  return Buffer.from(m.buffer, m.byteOffset + TILE_HEADER_BYTES, m.byteLength - TILE_HEADER_BYTES);
}

function overlays(geometry: Geometry, tiles: readonly TileEntry[]): OverlayOptions[] {
  return tiles.map((t) => {
    const r = tileRect(geometry, t.col, t.row);
    return { input: payloadOf(t), left: r.x, top: r.y };
  });
}

/** Keeps only tiles sharp can decode and that fit their cell, so one bad tile cannot break the picture. */
async function usable(geometry: Geometry, tiles: readonly TileEntry[]): Promise<TileEntry[]> {
  const ok = await Promise.all(
    tiles.map(async (t) => {
      try {
        const meta = await sharp(payloadOf(t)).metadata();
        const r = tileRect(geometry, t.col, t.row);
        return (meta.width ?? Infinity) <= r.width && (meta.height ?? Infinity) <= r.height;
      } catch {
        return false;
      }
    }),
  );
  return tiles.filter((_, i) => ok[i]);
}

export async function renderTiles(
  geometry: Geometry,
  tiles: readonly TileEntry[],
  format: Format,
  width?: number,
): Promise<Buffer> {
  const compose = async (list: readonly TileEntry[]) => {
    const base = sharp({ create: { width: geometry.width, height: geometry.height, channels: 4, background: '#000000ff' } });
    // composite first (at full size), then resize the flattened result
    const flat = await base.composite(overlays(geometry, list)).png({ compressionLevel: 0 }).toBuffer();
    let img = sharp(flat);
    if (width && width !== geometry.width) img = img.resize({ width });
    return format === 'png' ? img.png().toBuffer() : format === 'jpeg' ? img.jpeg({ quality: 80 }).toBuffer() : img.webp({ quality: 80 }).toBuffer();
  };
  try {
    return await compose(tiles);
  } catch {
    return compose(await usable(geometry, tiles));
  }
}

export function snapshotRoutes(rooms: RoomStore, tokens: TokenSigner): Route[] {
  return (Object.keys(FORMATS) as Format[]).map((format) => ({
    method: 'GET' as const,
    pattern: `/api/rooms/:id/snapshot.${format}`,
    handler: async (req, { id }) => {
      const query = Query.parse(Object.fromEntries(req.query));
      const room = findRoom(rooms, id);
      if (room.options.private && !tokens.admitsViewer(id, query.token))
        throw new UnauthorizedError('this room is private: snapshot needs ?token=');
      const keyframe = room.keyframe();
      if (!keyframe.geometry) throw new TilecastError('NO_PICTURE', `room ${id} has no picture yet`, 0, 404);
      // Take the refs now: the generation may be recycled after two more frames, the tiles never are.
      const tiles = keyframe.tiles.filter((t): t is TileEntry => t !== null);
      const body = await renderTiles(keyframe.geometry, tiles, format, query.width);
      return { status: 200, headers: { 'content-type': FORMATS[format], 'cache-control': 'no-store' }, body };
    },
  }));
}
