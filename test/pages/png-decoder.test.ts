// The viewer's own PNG decoder against sharp (libpng via libvips) on the same bytes: every PNG it takes decodes to
// exactly sharp's pixels, and every PNG whose pixels the browser would change (or that it cannot read) is declined,
// so the viewer falls back to the browser's decoder.
import fc from 'fast-check';
import { unzlibSync } from 'fflate';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { INFLATE_SLICE_BYTES, PngError, decodePng } from '../../client/lib/png-decoder';
import { encodePng } from '../../client/pages/present/png-encoder';
import { PNG_SIGNATURE } from '../../shared/protocol/image-size';

/** sharp's decode of `png` as RGBA, the reference. */
async function reference(png: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await sharp(png).ensureAlpha().raw().toBuffer());
}

/** A text-like picture: flat background, runs of colour, a gradient corner and some noise (a share of the pixels). */
function picture(width: number, height: number, seed: number, noise = 0.05): Buffer {
  const px = Buffer.alloc(width * height * 3, 240);
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if ((x >> 2) % 3 === 0 && y % 7 < 4) px.set([20, 30, 40], i);
      if (x > width / 2 && y > height / 2) px.set([(x * 7) & 255, (y * 5) & 255, ((x + y) * 3) & 255], i);
      if (rand() < noise) px.set([rand() * 255, rand() * 255, rand() * 255], i);
    }
  return px;
}

const raw = (width: number, height: number, channels: 3 | 4 = 3) => ({ raw: { width, height, channels } });

/**
 * A PNG of 8-bit `channels` (3 RGB, 4 RGBA) rows, row y filtered with filters[y % filters.length] (PNG spec 9.2):
 * encoders such as libspng pick Sub or None for most pictures, so Average and Paeth need a PNG made on purpose.
 */
function pngWithFilters(px: Buffer, width: number, height: number, channels: 3 | 4, filters: number[]): Uint8Array {
  const stride = width * channels;
  const rows = Buffer.alloc((stride + 1) * height);
  const at = (y: number, i: number) => (y < 0 || i < 0 ? 0 : px[y * stride + i]);
  for (let y = 0; y < height; y++) {
    const f = filters[y % filters.length];
    rows[y * (stride + 1)] = f;
    for (let i = 0; i < stride; i++) {
      const a = at(y, i - channels);
      const b = at(y - 1, i);
      const c = at(y - 1, i - channels);
      const p = a + b - c;
      const paeth =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][f];
      rows[y * (stride + 1) + 1 + i] = (at(y, i) - predictor) & 255;
    }
  }
  return pngWithIdat(width, height, deflateSync(rows), channels);
}

/** A PNG of 8-bit RGB (or RGBA) whose IDAT is `zlib`, as given. */
function pngWithIdat(width: number, height: number, zlib: Buffer, channels: 3 | 4 = 3): Uint8Array {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, channels === 3 ? 2 : 6, 0, 0, 0], 8);
  return new Uint8Array(
    Buffer.concat([
      Buffer.from(PNG_SIGNATURE),
      chunk('IHDR', ihdr),
      chunk('IDAT', zlib),
      chunk('IEND', Buffer.alloc(0)),
    ]),
  );
}

/** `png` with its IDAT cut into chunks of at most `size` bytes (CRCs are not checked by either decoder). */
function splitIdat(png: Uint8Array, size: number): Uint8Array {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: number[] = [...png.subarray(0, 8)];
  for (let at = 8; at < png.byteLength; ) {
    const length = view.getUint32(at);
    const type = png.subarray(at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    const pieces = String.fromCharCode(...type) === 'IDAT' ? Math.ceil(length / size) : 1;
    for (let p = 0; p < pieces; p++) {
      const piece = pieces === 1 ? data : data.subarray(p * size, (p + 1) * size);
      out.push(
        piece.byteLength >>> 24,
        (piece.byteLength >> 16) & 255,
        (piece.byteLength >> 8) & 255,
        piece.byteLength & 255,
      );
      out.push(...type, ...piece, 0, 0, 0, 0);
    }
    at += 12 + length;
  }
  return Uint8Array.from(out);
}

/** `png` with an extra chunk inserted right after IHDR. */
function withChunk(png: Uint8Array, type: string, data: number[]): Uint8Array {
  const length = [0, 0, 0, data.length];
  const chunk = [...length, ...Buffer.from(type), ...data, 0, 0, 0, 0];
  return Uint8Array.from([...png.subarray(0, 33), ...chunk, ...png.subarray(33)]);
}

describe('png-decoder', () => {
  it("decodes the presenter's own encoder exactly, for any picture (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer(),
        fc.boolean(),
        (width, height, seed, flat) => {
          const rgba = new Uint8Array(width * height * 4);
          let s = seed;
          for (let i = 0; i < rgba.length; i++) {
            s = (s * 1103515245 + 12345) & 0x7fffffff;
            rgba[i] = flat ? (i >> 6) & 0xf0 : s & 255;
          }
          const decoded = decodePng(encodePng(rgba, width, height));
          expect(decoded).not.toBeNull();
          const opaque = rgba.map((v, i) => (i % 4 === 3 ? 255 : v));
          expect(decoded!.width).toBe(width);
          expect(decoded!.height).toBe(height);
          expect(new Uint8Array(decoded!.data.buffer)).toEqual(opaque);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("matches sharp's pixels on RGB, opaque RGBA and palette PNGs with every filter and several IDAT chunks", async () => {
    const variants: [string, Promise<Buffer>][] = [];
    for (const [w, h] of [
      [64, 64],
      [37, 11],
      [256, 96],
    ]) {
      const px = picture(w, h, w * h);
      const rgba = Buffer.alloc(w * h * 4, 255);
      for (let i = 0; i < w * h; i++) px.copy(rgba, i * 4, i * 3, i * 3 + 3);
      variants.push(
        [`${w}x${h} rgb, adaptive filters`, sharp(px, raw(w, h)).png({ adaptiveFiltering: true }).toBuffer()],
        [`${w}x${h} rgb, no filter, level 0`, sharp(px, raw(w, h)).png({ compressionLevel: 0 }).toBuffer()],
        [
          `${w}x${h} rgba opaque`,
          sharp(rgba, raw(w, h, 4))
            .png({ adaptiveFiltering: true })
            .toBuffer(),
        ],
        [`${w}x${h} palette`, sharp(px, raw(w, h)).png({ palette: true, colours: 256, dither: 0 }).toBuffer()],
      );
    }
    for (const [name, made] of variants) {
      const png = new Uint8Array(await made);
      for (const bytes of [png, splitIdat(png, 97)]) {
        const decoded = decodePng(bytes);
        expect(decoded, name).not.toBeNull();
        expect(new Uint8Array(decoded!.data.buffer), name).toEqual(await reference(png));
      }
    }
  });

  it("matches sharp's pixels with every row filter (None, Sub, Up, Average, Paeth) on RGB and RGBA", async () => {
    for (const [w, h] of [
      [64, 64],
      [5, 9],
    ]) {
      // Values 0-3 make the Paeth predictor's ties (which neighbour wins) common.
      const lowNoise = Buffer.from(picture(w, h, 11).map((v, i) => (v * 31 + i * 17) & 3));
      for (const px of [picture(w, h, 7), lowNoise]) {
        const rgba = Buffer.alloc(w * h * 4, 255);
        for (let i = 0; i < w * h; i++) px.copy(rgba, i * 4, i * 3, i * 3 + 3);
        for (const filters of [[0], [1], [2], [3], [4], [3, 4, 2, 1, 0]]) {
          for (const png of [pngWithFilters(px, w, h, 3, filters), pngWithFilters(rgba, w, h, 4, filters)]) {
            const decoded = decodePng(png);
            expect(decoded, `${w}x${h} filters ${filters}`).not.toBeNull();
            expect(new Uint8Array(decoded!.data.buffer), `${w}x${h} filters ${filters}`).toEqual(await reference(png));
          }
        }
      }
    }
  });

  it('declines what the browser would colour-manage, blend or that this decoder does not read', async () => {
    const px = picture(32, 32, 1);
    const rgb = new Uint8Array(await sharp(px, raw(32, 32)).png().toBuffer());
    const translucent = Buffer.alloc(32 * 32 * 4, 128);
    const few = Buffer.alloc(64 * 64 * 3, 240).map((v, i) => (i % 3 === 0 ? (i * 7) & 255 : v));
    const fourBitPalette = new Uint8Array(await sharp(few, raw(64, 64)).png({ palette: true, colours: 16 }).toBuffer());
    expect(fourBitPalette[24]).toBe(4); // bit depth
    const declined: [string, Uint8Array][] = [
      ['gAMA', withChunk(rgb, 'gAMA', [0, 0, 0xb1, 0x8f])],
      ['iCCP', withChunk(rgb, 'iCCP', [0x61, 0, 0])],
      ['eXIf', withChunk(rgb, 'eXIf', [0x4d, 0x4d, 0, 0x2a])],
      [
        'translucent RGBA',
        new Uint8Array(
          await sharp(translucent, raw(32, 32, 4))
            .png()
            .toBuffer(),
        ),
      ],
      ['16-bit', new Uint8Array(await sharp(px, raw(32, 32)).toColourspace('rgb16').png().toBuffer())],
      ['greyscale', new Uint8Array(await sharp(px, raw(32, 32)).toColourspace('b-w').png().toBuffer())],
      ['4-bit palette', fourBitPalette],
      ['interlaced', new Uint8Array(await sharp(px, raw(32, 32)).png({ progressive: true }).toBuffer())],
      ['not a PNG', new Uint8Array(await sharp(px, raw(32, 32)).webp().toBuffer())],
    ];
    for (const [name, png] of declined) expect(decodePng(png), name).toBeNull();
  });

  it('throws PngError on a broken PNG (the viewer then leaves it to the browser)', () => {
    const rgba = new Uint8Array(16 * 16 * 4).fill(200);
    const png = encodePng(rgba, 16, 16);
    expect(() => decodePng(png.subarray(0, png.byteLength - 20))).toThrow(PngError);
    const badStream = png.slice();
    badStream.fill(0xff, 41, 49); // inside IDAT's zlib data
    expect(() => decodePng(badStream)).toThrow(PngError);
    const longer = png.slice();
    longer[19] = 17; // IHDR height 17: one row more than the data holds
    expect(() => decodePng(longer)).toThrow(/PNG data holds/);
  });

  it('stops inflating once the picture is complete: what a stream holds past it is never read (deflate bombs)', () => {
    // 64x64 RGB rows (filter 0, a gradient) in a stored block, two slices' worth more in a second one, then a block
    // of the reserved type: inflating the whole stream fails there. Work past the picture is what a deflate bomb is
    // made of.
    const width = 64;
    const height = 64;
    const rows = Buffer.alloc((width * 3 + 1) * height);
    for (let i = 0; i < rows.length; i++) rows[i] = i % (width * 3 + 1) === 0 ? 0 : i & 255;
    const stored = (data: Buffer) =>
      Buffer.concat([
        Buffer.from([0, data.length & 255, data.length >> 8, ~data.length & 255, (~data.length >> 8) & 255]),
        data,
      ]);
    const zlib = Buffer.concat([
      Buffer.from([0x78, 0x01]),
      stored(rows),
      stored(Buffer.alloc(2 * INFLATE_SLICE_BYTES)),
      Buffer.from([0x07, 0, 0, 0, 0, 0]),
    ]);
    const png = pngWithIdat(width, height, zlib);
    const decoded = decodePng(png);
    expect(decoded).not.toBeNull();
    const expected = new Uint8Array(width * height * 4);
    for (let y = 0, d = 0; y < height; y++)
      for (let x = 0; x < width * 3; x += 3, d += 4)
        expected.set([...rows.subarray(y * 193 + 1 + x, y * 193 + 4 + x), 255], d);
    expect(new Uint8Array(decoded!.data.buffer)).toEqual(expected);
  });

  it('throws on an unknown row filter and on a palette index past the palette', async () => {
    // Level 0 keeps the deflate stream stored, so a row's filter byte can be changed in place.
    const px = picture(8, 4, 3);
    const stored = new Uint8Array(
      await sharp(px, raw(8, 4)).png({ compressionLevel: 0, adaptiveFiltering: false }).toBuffer(),
    );
    const idat = Buffer.from(stored).indexOf('IDAT') + 4;
    // zlib header (2) + stored block header (5), then row 0's filter byte
    const badFilter = stored.slice();
    badFilter[idat + 7] = 9;
    expect(() => decodePng(badFilter)).toThrow(/filter type 9/);

    // 200 colours at most: an 8-bit palette of fewer than 256 entries, so index 255 is past its end.
    const pal = new Uint8Array(
      await sharp(picture(8, 4, 3), raw(8, 4))
        .png({ palette: true, colours: 200, compressionLevel: 0, dither: 0 })
        .toBuffer(),
    );
    expect(pal[24]).toBe(8); // bit depth
    const palData = Buffer.from(pal).indexOf('IDAT') + 4;
    const pastPalette = pal.slice();
    pastPalette[palData + 8] = 255; // row 0, first pixel
    expect(() => decodePng(pastPalette)).toThrow(/palette index 255/);
  });

  it('decodes a 4 KB text tile for about what one inflate of its stream costs (no streaming overhead)', () => {
    // Each push into fflate's inflate stream allocates a ~160 KB buffer: tiles decoded in 1 KB slices cost ~3x one
    // inflate and doubled the viewer's glass-to-glass p95 (README, Presenter). Both sides are timed in the same
    // rounds, so a loaded machine slows them alike; one call measures ~1x, slices ~3x.
    const rgb = picture(64, 64, 7, 0.1);
    const rgba = new Uint8Array(64 * 64 * 4).fill(255);
    for (let p = 0; p < 64 * 64; p++) rgba.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
    const png = encodePng(rgba, 64, 64);
    const view = new DataView(png.buffer, png.byteOffset);
    const zlib = png.subarray(41, 41 + view.getUint32(33)); // the one IDAT after the 13-byte IHDR
    expect(zlib.byteLength).toBeGreaterThan(3000);
    expect(zlib.byteLength).toBeLessThanOrEqual(4096);
    const time = (f: () => unknown) => {
      const start = performance.now();
      for (let i = 0; i < 50; i++) f();
      return performance.now() - start;
    };
    for (let i = 0; i < 200; i++) {
      decodePng(png); // warm both paths up first
      unzlibSync(zlib);
    }
    const ratios: number[] = [];
    for (let round = 0; round < 15; round++) ratios.push(time(() => decodePng(png)) / time(() => unzlibSync(zlib)));
    ratios.sort((a, b) => a - b);
    expect(ratios[7]).toBeLessThan(2);
  });
});
