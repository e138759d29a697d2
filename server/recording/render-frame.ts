// Renders a replayed picture to an image with sharp (seek-bar thumbnails, stills): every tile is decoded to raw
// pixels and copied into one RGB canvas, which is encoded once (a 510-overlay sharp composite took over a second
// at 1080p). Decodes run on the libuv thread pool, which recording writes and file reads share: at most
// DECODE_SLOTS of them run at once, server-wide, so a storm of thumbnails never starves the disk I/O.
import sharp from 'sharp';
import { TILE_HEADER_BYTES, tileRect } from '../../shared/protocol';
import type { Picture } from '../../shared/recording/picture';

export type ImageFormat = 'png' | 'jpeg' | 'webp';

const CHANNELS = 3;
const DECODE_SLOTS = 2;
let busy = 0;
const waiting: (() => void)[] = [];

async function inSlot<T>(work: () => Promise<T>): Promise<T> {
  if (busy >= DECODE_SLOTS) await new Promise<void>((resolve) => waiting.push(resolve));
  else busy++;
  try {
    return await work();
  } finally {
    // Hand the slot straight to the next waiter (busy stays the same), or free it.
    const next = waiting.shift();
    if (next) next();
    else busy--;
  }
}

/** Decodes one tile image to raw RGB, flattened on black (what an opaque canvas shows). */
async function decodeTile(message: Uint8Array): Promise<{ data: Buffer; width: number; height: number } | null> {
  const payload = message.subarray(TILE_HEADER_BYTES);
  try {
    // A Buffer over the same memory: the tile bytes are not copied to hand them to sharp.
    const { data, info } = await sharp(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength))
      .flatten({ background: '#000000' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== CHANNELS) return null;
    return { data, width: info.width, height: info.height };
  } catch {
    return null; // an undecodable tile stays black, as it would on a viewer's canvas
  }
}

export async function renderPicture(picture: Picture, format: ImageFormat, width?: number): Promise<Buffer> {
  const g = picture.geometry!;
  const canvas = Buffer.alloc(g.width * g.height * CHANNELS);
  const tiles = picture.filledTiles();
  const decoded = await Promise.all(tiles.map((t) => inSlot(() => decodeTile(t.message))));
  for (let i = 0; i < tiles.length; i++) {
    const img = decoded[i];
    if (!img) continue;
    const rect = tileRect(g, tiles[i].col, tiles[i].row);
    const w = Math.min(rect.width, img.width);
    const h = Math.min(rect.height, img.height);
    for (let y = 0; y < h; y++) {
      const from = y * img.width * CHANNELS;
      img.data.copy(canvas, ((rect.y + y) * g.width + rect.x) * CHANNELS, from, from + w * CHANNELS);
    }
  }
  let image = sharp(canvas, { raw: { width: g.width, height: g.height, channels: CHANNELS } });
  if (width && width < g.width) image = image.resize({ width });
  if (format === 'png') return image.png().toBuffer();
  if (format === 'jpeg') return image.jpeg({ quality: 80 }).toBuffer();
  return image.webp({ quality: 80 }).toBuffer();
}
