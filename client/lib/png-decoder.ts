// A synchronous PNG decoder for opaque tiles: inflate (fflate), unfilter, RGBA out, ready for putImageData.
// Chromium's ImageDecoder (or createImageBitmap) plus drawImage costs ~0.3-1.3 ms per 64 px tile on a loaded
// machine, almost all of it per-call machinery (decoder objects, a thread hop, a VideoFrame); a 1080p keyframe is
// ~500 tiles. This takes a fraction of that for the PNGs presenters send (8-bit RGB from png-encoder.ts, or RGB,
// RGBA and palette from other encoders). Anything whose pixels the browser would change on the way to the canvas
// (gamma or colour profiles, transparency, EXIF orientation), and 16-bit, grey or interlaced images, return null:
// the caller falls back to the browser's decoder, so the picture is the same either way.
import { Unzlib, unzlibSync } from 'fflate';
import { MAX_TILE_SIZE } from '../../shared/protocol/constants';
import { PNG_SIGNATURE } from '../../shared/protocol/image-size';

export interface RgbaPixels {
  width: number;
  height: number;
  /** width * height * 4 bytes, every alpha 255 */
  data: Uint8ClampedArray<ArrayBuffer>;
}

const RGB = 2;
const PALETTE = 3;
const RGBA = 6;
/** largest side taken here: no tile is larger; anything larger goes to the browser's decoder */
const MAX_SIDE = MAX_TILE_SIZE;
/** chunks that make the browser colour-manage, blend or turn the image (eXIf orientation): putImageData would not */
const CHANGES_PIXELS = new Set(['gAMA', 'iCCP', 'cHRM', 'tRNS', 'eXIf']);

export class PngError extends Error {}

const type = (b: Uint8Array, at: number) => String.fromCharCode(b[at + 4], b[at + 5], b[at + 6], b[at + 7]);

/**
 * The image's pixels, or null when this decoder leaves it to the browser (see above). Throws PngError on a PNG
 * that is broken (cut, bad data stream, wrong sizes), as the browser's decoder would fail on it too.
 */
export function decodePng(png: Uint8Array): RgbaPixels | null {
  if (png.byteLength < 8 + 25 || PNG_SIGNATURE.some((b, i) => png[i] !== b)) return null;
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  if (type(png, 8) !== 'IHDR' || view.getUint32(8) !== 13) return null;
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const [depth, color, compression, filter, interlace] = png.subarray(24, 29);
  if (depth !== 8 || (color !== RGB && color !== RGBA && color !== PALETTE)) return null;
  if (compression !== 0 || filter !== 0 || interlace !== 0) return null;
  if (width === 0 || height === 0 || width > MAX_SIDE || height > MAX_SIDE) return null;

  let palette: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  let idatBytes = 0;
  let at = 33;
  for (;;) {
    if (at + 12 > png.byteLength) throw new PngError('PNG ends before IEND');
    const length = view.getUint32(at);
    const name = type(png, at);
    const data = at + 8;
    if (length > png.byteLength - data - 4) throw new PngError(`PNG chunk ${name} runs past the end`);
    if (name === 'IEND') break;
    if (CHANGES_PIXELS.has(name)) return null;
    if (name === 'PLTE') palette = png.subarray(data, data + length);
    else if (name === 'IDAT') {
      idat.push(png.subarray(data, data + length));
      idatBytes += length;
    }
    at = data + length + 4;
  }
  if (color === PALETTE && !palette) throw new PngError('palette PNG without PLTE');

  const channels = color === RGB ? 3 : color === RGBA ? 4 : 1;
  const stride = width * channels;
  const expected = (stride + 1) * height;
  let raw: Uint8Array;
  try {
    raw = inflate(idat.length === 1 ? idat[0] : concat(idat, idatBytes), expected);
  } catch (err) {
    throw new PngError(`PNG data stream: ${(err as Error).message}`);
  }
  if (raw.byteLength !== expected) throw new PngError(`PNG data holds ${raw.byteLength} of ${expected} bytes`);
  const rows = unfilter(raw, stride, channels, height);
  const data = new Uint8ClampedArray(width * height * 4);
  if (!expand(rows, data, color, palette)) return null;
  return { width, height, data };
}

/**
 * A stream of at most this many bytes inflates in one call. Deflate turns one byte into at most ~1032, so that is
 * at most ~4 MB of output for a stream made to inflate far past its picture (a deflate bomb: ~12 ms here), and
 * text tiles of up to 4 KB take fflate's fastest path: in slices they decoded 2-3x slower (Node) and the viewer's
 * glass-to-glass p95 doubled (browser bench, 1280x720 windows: 98-144 ms in one call, 241-334 ms in slices),
 * because every push into fflate's stream allocates a fresh output buffer of ~160 KB.
 */
const ONE_CALL_BYTES = 4096;
/** A longer stream goes in slices of this size: each can overshoot the picture by ~1 MB at most (~4 ms here). */
export const INFLATE_SLICE_BYTES = 1024;

/**
 * The first `expected` bytes `zlib` inflates to (fewer if it ends early; extra data is ignored). A small stream goes
 * in one call straight into a buffer of that size (fflate's fastest path). A larger one goes in slices and stops
 * once the picture is complete: a stream made to inflate to far more than its picture (a deflate bomb, up to the
 * server's tile size limit) then costs at most a slice's worth of extra work, as the browser's decoder, which also
 * stops at the last row, would spend.
 */
function inflate(zlib: Uint8Array, expected: number): Uint8Array {
  if (zlib.byteLength <= ONE_CALL_BYTES) return unzlibSync(zlib, { out: new Uint8Array(expected) });
  const out = new Uint8Array(expected);
  let filled = 0;
  const stream = new Unzlib((chunk) => {
    const n = Math.min(chunk.byteLength, expected - filled);
    out.set(n < chunk.byteLength ? chunk.subarray(0, n) : chunk, filled);
    filled += n;
  });
  for (let at = 0; at < zlib.byteLength && filled < expected; at += INFLATE_SLICE_BYTES)
    stream.push(zlib.subarray(at, at + INFLATE_SLICE_BYTES), at + INFLATE_SLICE_BYTES >= zlib.byteLength);
  return out.subarray(0, filled);
}

function concat(parts: Uint8Array[], bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * Reverses the per-row filters in place (PNG spec 9.2; `bpp` bytes per pixel) and returns the unfiltered rows,
 * packed without their filter bytes; `raw` holds exactly (stride + 1) * height bytes.
 */
function unfilter(raw: Uint8Array, stride: number, bpp: number, height: number): Uint8Array {
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const up = row - stride;
    switch (f) {
      case 0:
        out.set(raw.subarray(src, src + stride), row);
        break;
      case 1:
        for (let i = 0; i < stride; i++) out[row + i] = raw[src + i] + (i >= bpp ? out[row + i - bpp] : 0);
        break;
      case 2:
        for (let i = 0; i < stride; i++) out[row + i] = raw[src + i] + (y > 0 ? out[up + i] : 0);
        break;
      case 3:
        for (let i = 0; i < stride; i++) {
          const left = i >= bpp ? out[row + i - bpp] : 0;
          const above = y > 0 ? out[up + i] : 0;
          out[row + i] = raw[src + i] + ((left + above) >> 1);
        }
        break;
      case 4:
        for (let i = 0; i < stride; i++) {
          const a = i >= bpp ? out[row + i - bpp] : 0;
          const b = y > 0 ? out[up + i] : 0;
          const c = i >= bpp && y > 0 ? out[up + i - bpp] : 0;
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          out[row + i] = raw[src + i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
        }
        break;
      default:
        throw new PngError(`PNG row ${y} has filter type ${f}`);
    }
  }
  return out;
}

/** Unfiltered rows to opaque RGBA; false when a pixel is not opaque (the browser would blend it). */
function expand(rows: Uint8Array, data: Uint8ClampedArray, color: number, palette: Uint8Array | null): boolean {
  const pixels = data.length >> 2;
  if (color === RGBA) {
    for (let i = 0; i < pixels; i++) if (rows[i * 4 + 3] !== 255) return false;
    data.set(rows);
    return true;
  }
  if (color === RGB) {
    for (let i = 0, s = 0, d = 0; i < pixels; i++, s += 3, d += 4) {
      data[d] = rows[s];
      data[d + 1] = rows[s + 1];
      data[d + 2] = rows[s + 2];
      data[d + 3] = 255;
    }
    return true;
  }
  const entries = palette!.length / 3;
  for (let i = 0, d = 0; i < pixels; i++, d += 4) {
    const p = rows[i];
    if (p >= entries) throw new PngError(`PNG palette index ${p} past its ${entries} entries`);
    data[d] = palette![p * 3];
    data[d + 1] = palette![p * 3 + 1];
    data[d + 2] = palette![p * 3 + 2];
    data[d + 3] = 255;
  }
  return true;
}
