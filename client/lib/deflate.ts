// A small synchronous zlib (RFC 1950/1951) compressor: greedy LZ77 over a 32 KiB window with one fixed-Huffman
// block. Made for tile-sized inputs (a 64 px RGB tile is 12 KB): CompressionStream costs 2-4 ms a call in a
// Chromium worker, almost all of it stream machinery and thread hops; this takes ~0.1-0.3 ms and never yields.
const HASH_BITS = 14;
const MAX_MATCH = 258;
const WINDOW = 32768;

const LENGTH_BASE = [
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
  8193, 12289, 16385, 24577,
];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

function reverse(code: number, bits: number): number {
  let r = 0;
  for (let i = 0; i < bits; i++) r = (r << 1) | ((code >> i) & 1);
  return r;
}

// Fixed Huffman codes (RFC 1951 3.2.6), bit-reversed once so they can be written LSB first.
const LIT_CODE = new Uint16Array(288);
const LIT_BITS = new Uint8Array(288);
for (let s = 0; s < 288; s++) {
  const [code, bits] =
    s < 144 ? [0x30 + s, 8] : s < 256 ? [0x190 + s - 144, 9] : s < 280 ? [s - 256, 7] : [0xc0 + s - 280, 8];
  LIT_CODE[s] = reverse(code, bits);
  LIT_BITS[s] = bits;
}
const DIST_CODE = Uint8Array.from({ length: 30 }, (_, d) => reverse(d, 5));
/** match length (3..258) -> length symbol index 0..28 */
const LENGTH_INDEX = new Uint8Array(MAX_MATCH + 1);
for (let i = 0; i < 29; i++)
  for (let l = LENGTH_BASE[i]; l <= (i === 28 ? 258 : LENGTH_BASE[i + 1] - 1); l++) LENGTH_INDEX[l] = i;

function distIndex(d: number): number {
  let i = 29;
  while (DIST_BASE[i] > d) i--;
  return i;
}

const head = new Int32Array(1 << HASH_BITS);

/** `data` as a zlib stream. */
export function zlibSync(data: Uint8Array): Uint8Array {
  // Worst case for fixed Huffman: 9 bits a literal, plus header, trailer and slack.
  const out = new Uint8Array(Math.ceil((data.length * 9) / 8) + 16);
  out[0] = 0x78;
  out[1] = 0x01;
  let pos = 2;
  let bitBuf = 0;
  let bitCount = 0;
  const put = (value: number, bits: number) => {
    bitBuf |= value << bitCount;
    bitCount += bits;
    while (bitCount >= 8) {
      out[pos++] = bitBuf & 0xff;
      bitBuf >>>= 8;
      bitCount -= 8;
    }
  };
  put(1, 1); // BFINAL
  put(1, 2); // BTYPE = fixed Huffman
  head.fill(-1);
  const n = data.length;
  let i = 0;
  while (i < n) {
    let best = 0;
    let dist = 0;
    if (i + 2 < n) {
      const h = (((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]) * 0x9e3779b1) >>> (32 - HASH_BITS);
      const cand = head[h];
      head[h] = i;
      if (cand >= 0 && i - cand <= WINDOW) {
        const limit = Math.min(MAX_MATCH, n - i);
        let l = 0;
        while (l < limit && data[cand + l] === data[i + l]) l++;
        if (l >= 3) {
          best = l;
          dist = i - cand;
        }
      }
      // A run (distance 1) is the commonest match in filtered screen content: try it when the hash missed.
      if (best < 3 && i > 0) {
        let l = 0;
        const limit = Math.min(MAX_MATCH, n - i);
        while (l < limit && data[i - 1 + l] === data[i + l]) l++;
        if (l >= 3) {
          best = l;
          dist = 1;
        }
      }
    }
    if (best >= 3) {
      const li = LENGTH_INDEX[best];
      put(LIT_CODE[257 + li], LIT_BITS[257 + li]);
      if (LENGTH_EXTRA[li]) put(best - LENGTH_BASE[li], LENGTH_EXTRA[li]);
      const di = distIndex(dist);
      put(DIST_CODE[di], 5);
      if (DIST_EXTRA[di]) put(dist - DIST_BASE[di], DIST_EXTRA[di]);
      // Index the skipped positions sparsely: cheap, and enough to find the next row's repeats.
      for (let k = i + 1, end = Math.min(i + best, n - 2); k < end; k += 4) {
        head[(((data[k] << 16) | (data[k + 1] << 8) | data[k + 2]) * 0x9e3779b1) >>> (32 - HASH_BITS)] = k;
      }
      i += best;
    } else {
      put(LIT_CODE[data[i]], LIT_BITS[data[i]]);
      i++;
    }
  }
  put(LIT_CODE[256], LIT_BITS[256]); // end of block
  if (bitCount > 0) put(0, 8 - bitCount);
  let a = 1;
  let b = 0;
  for (let k = 0; k < n; k++) {
    a = (a + data[k]) % 65521;
    b = (b + a) % 65521;
  }
  out[pos++] = b >>> 8;
  out[pos++] = b & 0xff;
  out[pos++] = a >>> 8;
  out[pos++] = a & 0xff;
  return out.slice(0, pos);
}
