// The viewer's Display in real Chromium: tiles decode concurrently but are drawn in the order they arrived, and
// nothing reaches the visible canvas before sync(). Bundled on the fly with esbuild and loaded into a blank page.
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayPage, launchBrowser } from './browser';

const SIDE = 1024;

/** A noisy PNG decodes far slower than a flat one of the same size: the race the Display must not lose. */
async function png(kind: 'noise' | 'red'): Promise<string> {
  const raw = kind === 'noise' ? randomBytes(SIDE * SIDE * 3) : Buffer.alloc(SIDE * SIDE * 3, Buffer.from([255, 0, 0]));
  return (
    await sharp(raw, { raw: { width: SIDE, height: SIDE, channels: 3 } })
      .png({ compressionLevel: 0 })
      .toBuffer()
  ).toString('base64');
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
        type D = {
          canvas: HTMLCanvasElement;
          setGeometry(g: object): void;
          tile(c: number, r: number, codec: string, p: Uint8Array): void;
          sync(s: number, t: number): void;
          idle(): Promise<void>;
        };
        const display: D = new (window as unknown as { Display: new () => D }).Display();
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
});
