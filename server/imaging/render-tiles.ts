// The one compositor: renders a tile picture (a room's ScreenShot, a replayed recording picture) to one image
// with sharp, with every cost bounded:
// - output: at most MAX_OUTPUT_SIDE px a side (aspect kept), never upscaled past the screen;
// - memory: one RGB canvas of about the output size; tiles are decoded (and scaled to their cell) one by one, at
//   most TILES_IN_FLIGHT per picture, and pasted at once, so decoded tiles never pile up;
// - decompression bombs: a tile whose header declares more pixels than its rectangle is refused before decoding,
//   and every sharp input gets `limitInputPixels` = its rectangle's pixels (second guard, for any format);
// - thread pool: sharp runs on libuv's pool (4 threads by default), which fs shares with recording writes and
//   file reads; at most DECODE_SLOTS sharp operations run at once, process-wide, so the disk always gets threads;
// - clients that leave: the work stops at the next tile (signal).
import sharp from 'sharp';
import {
  CODEC_MIME,
  type CodecName,
  type Geometry,
  TILE_HEADER_BYTES,
  declaredImageSize,
  tileRect,
} from '../../shared/protocol';
import { ClientGoneError, TileTooLargeError } from '../errors';

/** An image the server renders is in one of the tile codecs, with the same MIME types. */
export type ImageFormat = CodecName;
export const IMAGE_FORMATS = Object.keys(CODEC_MIME) as ImageFormat[];
export const imageMime = (format: ImageFormat): string => CODEC_MIME[format];

export interface TileImage {
  col: number;
  row: number;
  /** the encoded image */
  payload: Uint8Array;
}

/**
 * The encoded images of a picture's tiles (complete Tile messages, empty cells null), taken now: call it before
 * queueing the render, since a room's ScreenShot generation is reused two frames later (its tiles never are).
 */
export function tileImages(tiles: readonly ({ col: number; row: number; message: Uint8Array } | null)[]): TileImage[] {
  const out: TileImage[] = [];
  for (const t of tiles) if (t) out.push({ col: t.col, row: t.row, payload: t.message.subarray(TILE_HEADER_BYTES) });
  return out;
}

export const MAX_OUTPUT_SIDE = 4096;
const CHANNELS = 3;
const DECODE_SLOTS = 2;
const TILES_IN_FLIGHT = 2;
/** smallest cell on the canvas: below it a downscaled picture is drawn larger first, then resized once */
const MIN_CELL_PX = 4;

// libvips' operation cache would keep decoded images alive after a render; each tile is decoded once anyway.
sharp.cache(false);

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

/** The image size for a requested width: at most the screen's width and MAX_OUTPUT_SIDE a side. */
export function outputSize(g: Geometry, width?: number): { width: number; height: number } {
  let w = Math.min(width ?? g.width, g.width);
  let h = Math.max(1, Math.round((g.height * w) / g.width));
  const s = Math.min(1, MAX_OUTPUT_SIDE / w, MAX_OUTPUT_SIDE / h);
  if (s < 1) {
    w = Math.max(1, Math.floor(w * s));
    h = Math.max(1, Math.floor(h * s));
  }
  return { width: w, height: h };
}

interface Canvas {
  data: Buffer;
  width: number;
  height: number;
  sx: number;
  sy: number;
}

/** Decodes one tile, scaled to its cell, flattened on black (what an opaque canvas shows), and pastes it. */
async function paste(canvas: Canvas, g: Geometry, tile: TileImage): Promise<void> {
  const r = tileRect(g, tile.col, tile.row);
  const declared = declaredImageSize(tile.payload);
  if (declared && declared.width * declared.height > r.width * r.height)
    throw new TileTooLargeError(tile.col, tile.row, `declares ${declared.width}x${declared.height} px`, r);
  const x0 = Math.floor(r.x * canvas.sx);
  const y0 = Math.floor(r.y * canvas.sy);
  const cellW = Math.min(canvas.width, Math.floor((r.x + r.width) * canvas.sx)) - x0;
  const cellH = Math.min(canvas.height, Math.floor((r.y + r.height) * canvas.sy)) - y0;
  if (cellW <= 0 || cellH <= 0) return;
  const p = tile.payload;
  let img: { data: Buffer; info: sharp.OutputInfo };
  try {
    // A Buffer over the same memory: the tile bytes are not copied to hand them to sharp.
    let pipeline = sharp(Buffer.from(p.buffer, p.byteOffset, p.byteLength), { limitInputPixels: r.width * r.height });
    if (canvas.sx !== 1 || canvas.sy !== 1) pipeline = pipeline.resize(cellW, cellH, { fit: 'fill' });
    img = await inSlot(() =>
      pipeline.flatten({ background: '#000000' }).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true }),
    );
  } catch (err) {
    if (err instanceof Error && /pixel limit/i.test(err.message))
      throw new TileTooLargeError(tile.col, tile.row, 'is larger than its rectangle', r);
    return; // an undecodable tile stays black, as it would on a viewer's canvas
  }
  const { data, info } = img;
  if (info.channels !== CHANNELS) return;
  const w = Math.min(cellW, info.width);
  const h = Math.min(cellH, info.height);
  for (let y = 0; y < h; y++) {
    const from = y * info.width * CHANNELS;
    data.copy(canvas.data, ((y0 + y) * canvas.width + x0) * CHANNELS, from, from + w * CHANNELS);
  }
}

export async function renderTiles(
  g: Geometry,
  tiles: readonly TileImage[],
  format: ImageFormat,
  width?: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  const out = outputSize(g, width);
  // Draw on a canvas of the output size, unless that makes cells tiny: then larger, and resize once at the end.
  const minScale = Math.min(1, MIN_CELL_PX / g.tileSize);
  const drawLarger = out.width / g.width < minScale;
  const cw = drawLarger ? Math.ceil(g.width * minScale) : out.width;
  const ch = drawLarger ? Math.ceil(g.height * minScale) : out.height;
  const canvas: Canvas = {
    data: Buffer.alloc(cw * ch * CHANNELS),
    width: cw,
    height: ch,
    sx: cw / g.width,
    sy: ch / g.height,
  };
  let next = 0;
  let failed = false;
  const worker = async () => {
    try {
      while (next < tiles.length && !failed) {
        if (signal?.aborted) throw new ClientGoneError();
        await paste(canvas, g, tiles[next++]);
      }
    } catch (err) {
      failed = true; // the other worker stops too
      throw err;
    }
  };
  await Promise.all(Array.from({ length: Math.min(TILES_IN_FLIGHT, tiles.length) }, worker));
  if (signal?.aborted) throw new ClientGoneError();
  let image = sharp(canvas.data, { raw: { width: cw, height: ch, channels: CHANNELS } });
  if (cw !== out.width || ch !== out.height) image = image.resize(out.width, out.height, { fit: 'fill' });
  const encoded =
    format === 'png' ? image.png() : format === 'jpeg' ? image.jpeg({ quality: 80 }) : image.webp({ quality: 80 });
  return inSlot(() => encoded.toBuffer());
}
