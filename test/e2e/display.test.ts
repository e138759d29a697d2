// The viewer's Display in real Chromium: tiles decode concurrently but are drawn in the order they arrived, and
// nothing reaches the visible canvas before sync(). Bundled on the fly with esbuild and loaded into a blank page.
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayPage, launchBrowser } from './browser';

const SIDE = 1024;

/**
 * A noisy interlaced PNG goes to the browser's decoder (client/lib/png-decoder.ts declines interlacing) and takes
 * far longer than a flat PNG the Display decodes itself at once: the race the Display must not lose.
 */
async function png(kind: 'noise' | 'red'): Promise<string> {
  const raw = kind === 'noise' ? randomBytes(SIDE * SIDE * 3) : Buffer.alloc(SIDE * SIDE * 3, Buffer.from([255, 0, 0]));
  return (
    await sharp(raw, { raw: { width: SIDE, height: SIDE, channels: 3 } })
      .png({ compressionLevel: 0, progressive: kind === 'noise' })
      .toBuffer()
  ).toString('base64');
}

/** What the test page's bundle exposes (types only: the code runs inside the page). */
interface PageWithDisplay {
  Display: new () => {
    canvas: HTMLCanvasElement;
    setGeometry(g: object): void;
    tile(c: number, r: number, codec: string, p: Uint8Array): void;
    sync(s: number, t: number): void;
    idle(): Promise<void>;
  };
}

describe('Display (Chromium)', () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await displayPage(browser, 'display', problems);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('draws tiles in arrival order even when a later one decodes first, and only at sync', async () => {
    const [noise, red] = await Promise.all([png('noise'), png('red')]);
    const result = await page.evaluate(
      async ({ noise, red, side }) => {
        const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
        const display = new (window as unknown as PageWithDisplay).Display();
        document.body.append(display.canvas);
        const pixel = () =>
          Array.from(
            display.canvas
              .getContext('2d')!
              .getImageData(side / 2, side / 2, 1, 1)
              .data.slice(0, 3),
          );
        display.setGeometry({ width: side, height: side, tileSize: side });
        // Same tile twice: the slow noisy one first, then the quick red one. Red must end up on top.
        display.tile(0, 0, 'png', bytes(noise));
        display.tile(0, 0, 'png', bytes(red));
        await display.idle();
        const beforeSync = pixel();
        display.sync(1, Date.now());
        await display.idle();
        return { beforeSync, afterSync: pixel() };
      },
      { noise, red, side: SIDE },
    );
    // Before sync the visible canvas still shows the cleared background (#0b0d12).
    expect(result.beforeSync).toEqual([11, 13, 18]);
    expect(result.afterSync).toEqual([255, 0, 0]);
    expect(problems).toEqual([]);
  });

  it("paints PNG tiles it decodes itself exactly as the browser's decoder draws them", async () => {
    // Text-like tiles: flat runs, edges and noise; RGB and palette, as presenters and other encoders make them.
    const tile = async (seed: number, palette: boolean) => {
      const px = Buffer.alloc(64 * 64 * 3, 235);
      for (let i = 0; i < px.length; i += 3) {
        const x = (i / 3) % 64;
        if ((x + seed) % 9 < 3) px.set([20 + seed, 40, 90], i);
        if ((i * 2654435761 + seed) % 97 < 5) px.set([(i * seed) & 255, i & 255, (i >> 8) & 255], i);
      }
      const made = sharp(px, { raw: { width: 64, height: 64, channels: 3 } });
      return (await (palette ? made.png({ palette: true, colours: 256 }) : made.png()).toBuffer()).toString('base64');
    };
    const tiles = await Promise.all([tile(1, false), tile(2, true), tile(3, false), tile(4, true)]);
    const result = await page.evaluate(async (tiles) => {
      const bytes = (b64: string) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const display = new (window as unknown as PageWithDisplay).Display();
      display.setGeometry({ width: 128, height: 128, tileSize: 64 });
      tiles.forEach((t, i) => display.tile(i % 2, i >> 1, 'png', bytes(t)));
      display.sync(1, Date.now());
      await display.idle();
      const painted = display.canvas.getContext('2d')!.getImageData(0, 0, 128, 128).data;
      // The same bytes through the browser's own decoder, drawn as the Display drew them before it had its own.
      const canvas = document.createElement('canvas');
      canvas.width = canvas.height = 128;
      const ctx = canvas.getContext('2d', { alpha: false })!;
      for (const [i, t] of tiles.entries()) {
        const decoder = new (
          window as unknown as { ImageDecoder: new (i: object) => { decode(): Promise<{ image: VideoFrame }> } }
        ).ImageDecoder({ data: bytes(t), type: 'image/png' });
        const { image } = await decoder.decode();
        ctx.drawImage(image, (i % 2) * 64, (i >> 1) * 64);
        image.close();
      }
      const browser = ctx.getImageData(0, 0, 128, 128).data;
      let differing = 0;
      for (let i = 0; i < browser.length; i++) if (browser[i] !== painted[i]) differing++;
      const distinct = new Set<number>();
      for (let i = 0; i < painted.length; i += 4)
        distinct.add((painted[i] << 16) | (painted[i + 1] << 8) | painted[i + 2]);
      return { differing, distinct: distinct.size };
    }, tiles);
    expect(result.distinct).toBeGreaterThan(20); // a real picture, not a blank canvas on both sides
    expect(result.differing).toBe(0);
    expect(problems).toEqual([]);
  });
});
