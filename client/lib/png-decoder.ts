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

/**
 * Whether this machine stores a Uint32 lowest byte first, so that one store writes a pixel's R, G, B, A in order
 * (see `expand`). Every browser's is; a big-endian one would get its PNGs from the browser's decoder.
 */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const type = (b: Uint8Array, at: number) => String.fromCharCode(b[at + 4], b[at + 5], b[at + 6], b[at + 7]);

/**
 * The image's pixels, or null when this decoder leaves it to the browser (see above). Throws PngError on a PNG
 * that is broken (cut, bad data stream, wrong sizes), as the browser's decoder would fail on it too.
 */
export function decodePng(png: Uint8Array): RgbaPixels | null {
  if (!LITTLE_ENDIAN) return null;
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
  unfilter(raw, stride, channels, height);
  const data = new Uint8ClampedArray(width * height * 4);
  if (!expand(raw, stride, data, color, palette)) return null;
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
 * Reverses the per-row filters in place (PNG spec 9.2; `bpp` bytes per pixel): `raw` holds exactly (stride + 1) *
 * height bytes, each row after its filter byte. The first pixel of a row (no left neighbour) and the first row (no
 * row above) get loops of their own, so the inner loops carry no per-byte tests: this and `expand` were 60 % of a
 * 1080p keyframe's decode (inflate the rest) with those tests and a second copy of the rows.
 */
function unfilter(raw: Uint8Array, stride: number, bpp: number, height: number): void {
  const line = stride + 1;
  for (let y = 0; y < height; y++) {
    const f = raw[y * line];
    const s = y * line + 1;
    const end = s + stride;
    const u = s - line; // the row above (only read when y > 0)
    if (f === 0) continue;
    if (f > 4) throw new PngError(`PNG row ${y} has filter type ${f}`);
    if (y === 0) {
      // nothing above: Up changes nothing, Average adds half the left byte, Paeth picks the left byte (Sub)
      if (f === 1 || f === 4) for (let i = s + bpp; i < end; i++) raw[i] += raw[i - bpp];
      else if (f === 3) for (let i = s + bpp; i < end; i++) raw[i] += raw[i - bpp] >> 1;
      continue;
    }
    switch (f) {
      case 1:
        for (let i = s + bpp; i < end; i++) raw[i] += raw[i - bpp];
        break;
      case 2:
        for (let i = s, j = u; i < end; i++, j++) raw[i] += raw[j];
        break;
      case 3:
        for (let i = s, j = u; i < s + bpp; i++, j++) raw[i] += raw[j] >> 1;
        for (let i = s + bpp, j = u + bpp; i < end; i++, j++) raw[i] += (raw[i - bpp] + raw[j]) >> 1;
        break;
      case 4:
        // no left neighbour: Paeth of (0, b, 0) is b
        for (let i = s, j = u; i < s + bpp; i++, j++) raw[i] += raw[j];
        for (let i = s + bpp, j = u + bpp; i < end; i++, j++) {
          const a = raw[i - bpp];
          const b = raw[j];
          const c = raw[j - bpp];
          const pa = b > c ? b - c : c - b; // |p - a| with p = a + b - c
          const pb = a > c ? a - c : c - a;
          const pc = a + b > c + c ? a + b - c - c : c + c - a - b;
          raw[i] += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
        break;
    }
  }
}

/**
 * Unfiltered rows (each after its filter byte) to opaque RGBA; false when a pixel is not opaque (the browser
 * would blend it). RGB and palette pixels go out as one 32-bit store each.
 */
function expand(
  raw: Uint8Array,
  stride: number,
  data: Uint8ClampedArray,
  color: number,
  palette: Uint8Array | null,
): boolean {
  const height = raw.byteLength / (stride + 1);
  if (color === RGBA) {
    for (let y = 0, s = 1; y < height; y++, s += stride + 1) {
      for (let i = s + 3; i < s + stride; i += 4) if (raw[i] !== 255) return false;
      data.set(raw.subarray(s, s + stride), y * stride);
    }
    return true;
  }
  const out = new Uint32Array(data.buffer, data.byteOffset, data.byteLength >> 2);
  let d = 0;
  if (color === RGB) {
    for (let y = 0, s = 1; y < height; y++, s += stride + 1)
      for (let i = s; i < s + stride; i += 3) out[d++] = 0xff000000 | (raw[i + 2] << 16) | (raw[i + 1] << 8) | raw[i];
    return true;
  }
  const entries = palette!.length / 3;
  const colours = new Uint32Array(256);
  for (let p = 0; p < entries; p++)
    colours[p] = 0xff000000 | (palette![p * 3 + 2] << 16) | (palette![p * 3 + 1] << 8) | palette![p * 3];
  for (let y = 0, s = 1; y < height; y++, s += stride + 1)
    for (let i = s; i < s + stride; i++) {
      const p = raw[i];
      if (p >= entries) throw new PngError(`PNG palette index ${p} past its ${entries} entries`);
      out[d++] = colours[p];
    }
  return true;
}
