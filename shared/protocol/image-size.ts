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

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function ascii(b: Uint8Array, at: number, text: string): boolean {
  if (at + text.length > b.length) return false;
  for (let i = 0; i < text.length; i++) if (b[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

const u16be = (b: Uint8Array, at: number) => (b[at] << 8) | b[at + 1];
const u32be = (b: Uint8Array, at: number) => ((b[at] << 24) >>> 0) + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]);
const u32le = (b: Uint8Array, at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + ((b[at + 3] << 24) >>> 0);
const u24le = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);

function isPng(b: Uint8Array): boolean {
  if (b.length < 8) return false;
  for (let i = 0; i < 8; i++) if (b[i] !== PNG_SIGNATURE[i]) return false;
  return true;
}

function png(b: Uint8Array): DeclaredSize | null {
  // signature, then the first chunk must be IHDR: length(4) "IHDR" width(4) height(4)
  if (b.length < 24 || !ascii(b, 12, 'IHDR')) return null;
  return { format: 'png', width: u32be(b, 16), height: u32be(b, 20) };
}

/** SOF markers carry the frame size; C4 (DHT), C8 (JPG extension) and CC (DAC) share the range but do not. */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

function jpeg(b: Uint8Array): DeclaredSize | null {
  let at = 2; // after SOI
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    // markers without a length: TEM, RSTn, SOI
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      at += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) return null; // EOI or scan data before any frame header
    const length = u16be(b, at + 2);
    if (length < 2) return null;
    if (isSof(marker)) {
      // length(2) precision(1) height(2) width(2)
      if (at + 9 > b.length) return null;
      return { format: 'jpeg', height: u16be(b, at + 5), width: u16be(b, at + 7) };
    }
    at += 2 + length;
  }
  return null;
}

function webpChunk(b: Uint8Array, at: number): DeclaredSize | null {
  const data = at + 8;
  if (ascii(b, at, 'VP8 ')) {
    // frame tag(3), start code 9d 01 2a, then 14-bit width and height (top 2 bits are scaling)
    if (data + 10 > b.length || b[data + 3] !== 0x9d || b[data + 4] !== 0x01 || b[data + 5] !== 0x2a) return null;
    return {
      format: 'webp',
      width: (b[data + 6] | (b[data + 7] << 8)) & 0x3fff,
      height: (b[data + 8] | (b[data + 9] << 8)) & 0x3fff,
    };
  }
  if (ascii(b, at, 'VP8L')) {
    // signature 0x2f, then width-1 (14 bits) and height-1 (14 bits), little-endian bit packing
    if (data + 5 > b.length || b[data] !== 0x2f) return null;
    const bits = u32le(b, data + 1);
    return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (ascii(b, at, 'VP8X')) {
    // flags(1) reserved(3) canvas width-1 (24 bits) canvas height-1 (24 bits)
    if (data + 10 > b.length) return null;
    return { format: 'webp', width: u24le(b, data + 4) + 1, height: u24le(b, data + 7) + 1 };
  }
  return null;
}

/**
 * The size the image declares; 0x0 when it looks like a PNG, JPEG or WebP but its size cannot be read; null when
 * it is none of them.
 */
export function declaredImageSize(bytes: Uint8Array): DeclaredSize | null {
  if (isPng(bytes)) return png(bytes) ?? unreadable('png');
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff)
    return jpeg(bytes) ?? unreadable('jpeg');
  if (ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return webpChunk(bytes, 12) ?? unreadable('webp');
  return null;
}

const unreadable = (format: DeclaredSize['format']): DeclaredSize => ({ format, width: 0, height: 0 });
