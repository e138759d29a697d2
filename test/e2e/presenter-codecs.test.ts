// The presenter's tile codec pieces without a browser: the PNG encoder (decoded back by sharp, pixel for pixel)
// and the flat/photographic tile classifier that picks PNG or WebP per tile.
import { deflateSync, inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodePng } from '../../client/pages/present/png-encoder';
import { isFlatTile } from '../../client/lib/tile-kind';
import { zlibSync } from '../../client/lib/deflate';
import { copyTileInto } from '../../client/lib/tile-diff';

describe('zlibSync', () => {
  it('round-trips through zlib: empty, one byte, noise, long runs, a window longer than 32 KiB', () => {
    let seed = 1;
    const noise = Uint8Array.from({ length: 20_000 }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    const long = Uint8Array.from({ length: 100_000 }, (_, i) => (i % 40_000 < 20 ? i & 255 : i % 3));
    for (const data of [new Uint8Array(0), new Uint8Array([7]), noise, new Uint8Array(70_000).fill(3), long]) {
      expect(Buffer.compare(inflateSync(zlibSync(data)), Buffer.from(data))).toBe(0);
    }
  });

  it('compresses filtered screen content to within 2x of zlib level 6', () => {
    const raw = new Uint8Array(64 * 193);
    for (let i = 0; i < raw.length; i++) raw[i] = i % 193 < 40 && i % 7 === 0 ? (i * 31) & 255 : 0;
    expect(zlibSync(raw).byteLength).toBeLessThan(2 * deflateSync(raw).byteLength);
  });
});

describe('encodePng', () => {
  it('writes a PNG that decodes to the same RGB pixels, odd sizes included', async () => {
    for (const [w, h] of [
      [64, 64],
      [37, 5],
      [1, 1],
    ]) {
      const rgba = new Uint8Array(w * h * 4);
      for (let i = 0; i < w * h; i++) {
        rgba[i * 4] = (i * 7) & 255;
        rgba[i * 4 + 1] = (i * 13 + 5) & 255;
        rgba[i * 4 + 2] = (i >> 3) & 255;
        rgba[i * 4 + 3] = 255;
      }
      const png = await encodePng(rgba, w, h);
      const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height, info.channels]).toEqual([w, h, 3]);
      for (let i = 0; i < w * h; i++)
        expect([...data.subarray(i * 3, i * 3 + 3)]).toEqual([...rgba.subarray(i * 4, i * 4 + 3)]);
    }
  });

  it('compresses flat text-like tiles far below their raw size', async () => {
    const rgba = new Uint8Array(64 * 64 * 4).fill(250);
    for (let y = 20; y < 34; y++) for (let x = 4; x < 60; x += 3) rgba.fill(20, (y * 64 + x) * 4, (y * 64 + x) * 4 + 3);
    const png = await encodePng(rgba, 64, 64);
    expect(png.byteLength).toBeLessThan(600);
  });
});

describe('isFlatTile', () => {
  const g = { width: 100, height: 70, tileSize: 32 }; // clipped edge tiles on the right and bottom

  it('calls text-like tiles (mostly runs) flat and noise-like ones photographic, edge tiles included', () => {
    const frame = new Uint32Array(100 * 70).fill(0xff202020);
    expect(isFlatTile(g, frame, 0, 0)).toBe(true);
    expect(isFlatTile(g, frame, 3, 2)).toBe(true); // 4 x 6 pixels
    // tile (1, 0): noise in columns 32..44, so 18 of each row's 31 neighbour pairs are equal (58 %)
    for (let y = 0; y < 32; y++) for (let x = 32; x <= 44; x++) frame[y * 100 + x] = 0xff000000 + x * 7 + y * 1000;
    expect(isFlatTile(g, frame, 1, 0)).toBe(true);
    expect(isFlatTile(g, frame, 1, 0, 0.6)).toBe(false);
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) frame[y * 100 + x] = 0xff000000 + ((x * 977 + y * 131) & 0xffffff);
    expect(isFlatTile(g, frame, 0, 0)).toBe(false);
    expect(isFlatTile(g, frame, 2, 0)).toBe(true);
  });

  it('a one-pixel-wide edge tile counts as flat', () => {
    expect(
      isFlatTile(
        { width: 33, height: 10, tileSize: 32 },
        new Uint32Array(330).map((_, i) => i),
        1,
        0,
      ),
    ).toBe(true);
  });
});

describe('copyTileInto', () => {
  it('packs tiles (clipped edge tiles too) row by row at the given offsets, leaving the rest untouched', () => {
    const g = { width: 5, height: 3, tileSize: 4 }; // tiles: (0,0) 4x3, (1,0) 1x3
    const frame = Uint32Array.from({ length: 15 }, (_, i) => 0x01000000 + i);
    const into = new Uint8ClampedArray((12 + 3 + 1) * 4);
    copyTileInto(g, frame, 1, 0, into, 4);
    copyTileInto(g, frame, 0, 0, into, 16);
    const words = new Uint32Array(into.buffer);
    expect([...words.subarray(1, 4)].map((w) => w & 0xff)).toEqual([4, 9, 14]);
    expect([...words.subarray(4, 16)].map((w) => w & 0xff)).toEqual([0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13]);
    expect(words[0]).toBe(0);
  });
});
