// The presenter's tile codec pieces without a browser: the PNG encoder (decoded back by sharp, pixel for pixel)
// and the flat/photographic tile classifier that picks PNG or WebP per tile.
import { deflateSync, inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodePng } from '../../client/pages/present/png-encoder';
import { MAX_FLAT_COLORS, isFlatTile } from '../../client/lib/tile-kind';
import { zlibSync } from '../../client/lib/deflate';

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
    for (const [w, h] of [[64, 64], [37, 5], [1, 1]]) {
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
      for (let i = 0; i < w * h; i++) expect([...data.subarray(i * 3, i * 3 + 3)]).toEqual([...rgba.subarray(i * 4, i * 4 + 3)]);
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

  it('calls a tile with few colours flat and one with many photographic, edge tiles included', () => {
    const frame = new Uint32Array(100 * 70).fill(0xff202020);
    expect(isFlatTile(g, frame, 0, 0)).toBe(true);
    expect(isFlatTile(g, frame, 3, 2)).toBe(true);
    // MAX_FLAT_COLORS distinct colours in tile (3, 2) (x 96..99, y 64..69): still flat; one more: not
    const put = (n: number) => {
      for (let i = 0; i < n; i++) frame[(64 + Math.floor(i / 4)) * 100 + 96 + (i % 4)] = 0xff000000 + i + 1;
    };
    put(Math.min(MAX_FLAT_COLORS, 24));
    expect(isFlatTile(g, frame, 3, 2)).toBe(true);
    expect(isFlatTile(g, frame, 3, 2, 10)).toBe(false);
    for (let i = 0; i < 32 * 32; i++) frame[Math.floor(i / 32) * 100 + (i % 32)] = 0xff000000 + i * 977;
    expect(isFlatTile(g, frame, 0, 0)).toBe(false);
    expect(isFlatTile(g, frame, 1, 0)).toBe(true);
  });

  it('counts colour 0 like any other colour', () => {
    const frame = new Uint32Array(100 * 70);
    frame[1] = 5;
    expect(isFlatTile(g, frame, 0, 0, 2)).toBe(true);
    expect(isFlatTile(g, frame, 0, 0, 1)).toBe(false);
  });
});
