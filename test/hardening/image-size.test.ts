// The header-size reader that stops decompression bombs at ingest: exact on real encoder output, never throws.
import fc from 'fast-check';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { declaredImageSize } from '../../shared/protocol';
import { declaresSizeOrNone } from '../../shared/protocol/image-size';
import { pngBomb } from './helpers';

async function encode(
  format: 'png' | 'jpeg' | 'webp',
  width: number,
  height: number,
  options: object = {},
  alpha = false,
) {
  const img = sharp({
    create: { width, height, channels: alpha ? 4 : 3, background: { r: 10, g: 200, b: 30, alpha: 0.5 } },
  });
  return new Uint8Array(await img[format](options).toBuffer());
}

/** one small image of each kind the reader knows, for the properties to cut and change */
const seedImages = async () => [
  await encode('png', 20, 10),
  await encode('jpeg', 20, 10),
  await encode('webp', 20, 10),
  await encode('webp', 20, 10, { lossless: true }),
  await encode('webp', 20, 10, {}, true),
];

describe('declaredImageSize', () => {
  const sizes: [number, number][] = [
    [1, 1],
    [64, 64],
    [36, 64],
    [100, 7],
    [1024, 1024],
    [16383, 3],
  ];

  it.each(sizes)('reads %ix%i from PNG, JPEG, lossy and lossless WebP, and WebP with alpha (VP8X)', async (w, h) => {
    expect(declaredImageSize(await encode('png', w, h))).toEqual({ format: 'png', width: w, height: h });
    expect(declaredImageSize(await encode('jpeg', w, h))).toEqual({ format: 'jpeg', width: w, height: h });
    expect(declaredImageSize(await encode('jpeg', w, h, { progressive: true }))).toEqual({
      format: 'jpeg',
      width: w,
      height: h,
    });
    expect(declaredImageSize(await encode('webp', w, h))).toEqual({ format: 'webp', width: w, height: h });
    expect(declaredImageSize(await encode('webp', w, h, { lossless: true }))).toEqual({
      format: 'webp',
      width: w,
      height: h,
    });
    const vp8x = await encode('webp', w, h, {}, true);
    expect(String.fromCharCode(...vp8x.subarray(12, 16))).toBe('VP8X');
    expect(declaredImageSize(vp8x)).toEqual({ format: 'webp', width: w, height: h });
  });

  it('reads the size a PNG bomb declares, from a 24 KB file', () => {
    const bomb = pngBomb(14000, 14000);
    expect(bomb.length).toBeLessThan(32 * 1024);
    expect(declaredImageSize(bomb)).toEqual({ format: 'png', width: 14000, height: 14000 });
  });

  it('finds the JPEG frame header after EXIF and other segments', async () => {
    const jpeg = new Uint8Array(
      await sharp({ create: { width: 40, height: 30, channels: 3, background: '#123456' } })
        .withMetadata({ exif: { IFD0: { Copyright: 'x'.repeat(500) } } })
        .jpeg()
        .toBuffer(),
    );
    expect(declaredImageSize(jpeg)).toEqual({ format: 'jpeg', width: 40, height: 30 });
  });

  it('gives 0x0 for a known signature whose size cannot be read, and null for anything else', async () => {
    const png = await encode('png', 8, 8);
    expect(declaredImageSize(png.subarray(0, 20))).toEqual({ format: 'png', width: 0, height: 0 });
    expect(declaredImageSize(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0x12, 0x34]))).toEqual({
      format: 'jpeg',
      width: 0,
      height: 0,
    });
    expect(declaredImageSize(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 '))).toEqual({
      format: 'webp',
      width: 0,
      height: 0,
    });
    expect(declaredImageSize(new Uint8Array([1, 2, 3, 4]))).toBeNull();
    expect(declaredImageSize(new Uint8Array(0))).toBeNull();
    expect(declaredImageSize(new TextEncoder().encode('RIFF\0\0\0\0WAVEfmt '))).toBeNull();
  });

  it('never throws on random bytes, nor on real headers cut or corrupted anywhere', async () => {
    const seeds = await seedImages();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        const got = declaredImageSize(bytes);
        expect(got === null || (Number.isInteger(got.width) && Number.isInteger(got.height))).toBe(true);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        (seed, cut, at, value) => {
          const bytes = seed.slice(0, cut % (seed.length + 1));
          if (bytes.length > 0) bytes[at % bytes.length] = value;
          const got = declaredImageSize(bytes);
          expect(got === null || (got.width >= 0 && got.height >= 0)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('reads a window of a larger buffer exactly as the same bytes on their own, never past the window', async () => {
    const seeds = await seedImages();
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.nat(), fc.nat({ max: 40 }), (seed, cut, before) => {
        // The window holds a prefix of the image; the bytes after it (the rest of the image) must not be read.
        const length = cut % (seed.length + 1);
        const buffer = new Uint8Array(before + seed.length);
        buffer.set(seed, before);
        const alone = declaredImageSize(seed.slice(0, length));
        const fits = (w: number, h: number) => declaresSizeOrNone(buffer, before, length, w, h);
        expect(fits(20, 10)).toBe(alone === null || (alone.width === 20 && alone.height === 10));
        expect(fits(0, 0)).toBe(alone === null || (alone.width === 0 && alone.height === 0));
      }),
      { numRuns: 3000 },
    );
  });
});
