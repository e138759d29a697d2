// Reads the pixel size an encoded image declares in its header (PNG IHDR, JPEG SOF, WebP VP8/VP8L/VP8X) without
// decoding anything: a 24 KB PNG may declare 14000x14000 and decode to ~570 MB, so the server checks the header
// against the tile's rectangle before anyone decodes it. The format is sniffed from the bytes, not taken from the
// codec byte, because decoders (sharp, browsers) sniff too. Never throws. Bytes that are none of the three give
// null; bytes that start like one of them but whose size cannot be read give 0x0, which fits no tile: a decoder
// that tolerates what this reader does not (libjpeg skips garbage between segments) could still find a bomb there.

export interface DeclaredSize {
  format: 'png' | 'jpeg' | 'webp';
  width: number;
  height: number;
}

// The readers work on `n` bytes of `b` from offset `o`, so ingest checks a tile inside its frame without a view, and
// write what they find into one scratch result: no allocation per tile.
const found: DeclaredSize = { format: 'png', width: 0, height: 0 };

function declare(format: DeclaredSize['format'], width: number, height: number): true {
  found.format = format;
  found.width = width;
  found.height = height;
  return true;
}

/** The eight bytes every PNG file starts with (also written by the presenter's encoder, read by the viewer's). */
export const PNG_SIGNATURE: readonly number[] = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function ascii(b: Uint8Array, o: number, n: number, at: number, text: string): boolean {
  if (at + text.length > n) return false;
  for (let i = 0; i < text.length; i++) if (b[o + at + i] !== text.charCodeAt(i)) return false;
  return true;
}

const u16be = (b: Uint8Array, at: number) => (b[at] << 8) | b[at + 1];
const u32be = (b: Uint8Array, at: number) => ((b[at] << 24) >>> 0) + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]);
const u32le = (b: Uint8Array, at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + ((b[at + 3] << 24) >>> 0);
const u24le = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);

function isPng(b: Uint8Array, o: number, n: number): boolean {
  if (n < 8) return false;
  for (let i = 0; i < 8; i++) if (b[o + i] !== PNG_SIGNATURE[i]) return false;
  return true;
}

function png(b: Uint8Array, o: number, n: number): boolean {
  // signature, then the first chunk must be IHDR: length(4) "IHDR" width(4) height(4)
  if (n < 24 || !ascii(b, o, n, 12, 'IHDR')) return false;
  return declare('png', u32be(b, o + 16), u32be(b, o + 20));
}

/** SOF markers carry the frame size; C4 (DHT), C8 (JPG extension) and CC (DAC) share the range but do not. */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpeg(b: Uint8Array, o: number, n: number): boolean {
  let at = 2; // after SOI
  while (at + 4 <= n) {
    if (b[o + at] !== 0xff) return false;
    const marker = b[o + at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    // markers without a length: TEM, RSTn, SOI
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return false; // EOI or scan data before any frame header
    const length = u16be(b, o + at + 2);
    if (length < 2) return false;
    if (isSof(marker)) {
      // length(2) precision(1) height(2) width(2)
      if (at + 9 > n) return false;
      return declare('jpeg', u16be(b, o + at + 7), u16be(b, o + at + 5));
    }
    at += 2 + length;
  }
  return false;
}

function webpChunk(b: Uint8Array, o: number, n: number, at: number): boolean {
  const data = at + 8;
  const d = o + data;
  if (ascii(b, o, n, at, 'VP8 ')) {
    // frame tag(3), start code 9d 01 2a, then 14-bit width and height (top 2 bits are scaling)
    if (data + 10 > n || b[d + 3] !== 0x9d || b[d + 4] !== 0x01 || b[d + 5] !== 0x2a) return false;
    return declare('webp', (b[d + 6] | (b[d + 7] << 8)) & 0x3fff, (b[d + 8] | (b[d + 9] << 8)) & 0x3fff);
  }
  if (ascii(b, o, n, at, 'VP8L')) {
    // signature 0x2f, then width-1 (14 bits) and height-1 (14 bits), little-endian bit packing
    if (data + 5 > n || b[d] !== 0x2f) return false;
    const bits = u32le(b, d + 1);
    return declare('webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (ascii(b, o, n, at, 'VP8X')) {
    // flags(1) reserved(3) canvas width-1 (24 bits) canvas height-1 (24 bits)
    if (data + 10 > n) return false;
    return declare('webp', u24le(b, d + 4) + 1, u24le(b, d + 7) + 1);
  }
  return false;
}

/**
 * Reads the size the `n` bytes of `b` at offset `o` declare into the shared scratch result; false when they are none
 * of the three formats. A format whose size cannot be read declares 0x0.
 */
function read(b: Uint8Array, o: number, n: number): boolean {
  if (isPng(b, o, n)) return png(b, o, n) || declare('png', 0, 0);
  if (n >= 3 && b[o] === 0xff && b[o + 1] === 0xd8 && b[o + 2] === 0xff) return jpeg(b, o, n) || declare('jpeg', 0, 0);
  if (ascii(b, o, n, 0, 'RIFF') && ascii(b, o, n, 8, 'WEBP')) return webpChunk(b, o, n, 12) || declare('webp', 0, 0);
  return false;
}

/**
 * The size the image declares; 0x0 when it looks like a PNG, JPEG or WebP but its size cannot be read; null when
 * it is none of them.
 */
export function declaredImageSize(bytes: Uint8Array): DeclaredSize | null {
  return read(bytes, 0, bytes.length) ? { ...found } : null;
}

/**
 * Whether the `length` bytes at `start` of `bytes` declare exactly `width` x `height`, or are of no known format (which
 * nothing here checks). Allocates nothing: ingest asks this of every tile.
 */
export function declaresSizeOrNone(
  bytes: Uint8Array,
  start: number,
  length: number,
  width: number,
  height: number,
): boolean {
  return !read(bytes, start, length) || (found.width === width && found.height === height);
}
