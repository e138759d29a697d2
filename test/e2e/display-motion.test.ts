// The viewer's Display with motion chunks, in real Chromium: a decoded motion frame paints its region at once (it
// stands for its own sync), still tiles painted later win until the next motion frame, a masked frame paints only
// the tiles its mask marks, and a delta that does not follow a key is never painted. VP8 chunks are made in the
// page with VideoEncoder.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displayPage, launchBrowser } from './browser';

describe('Display with motion chunks (Chromium)', () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await displayPage(browser, 'display motion', problems);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('paints motion frames at once; later still tiles win until the next motion frame', async () => {
    const steps = await page.evaluate(async () => {
      const W = 128;
      const H = 64;
      // Three VP8 frames of the whole 2x1-tile region: green (key), then blue and yellow (deltas).
      const chunks: { key: boolean; data: Uint8Array }[] = [];
      const encoder = new VideoEncoder({
        output: (c) => {
          const data = new Uint8Array(c.byteLength);
          c.copyTo(data);
          chunks.push({ key: c.type === 'key', data });
        },
        error: (e) => {
          throw e;
        },
      });
      encoder.configure({ codec: 'vp8', width: W, height: H, bitrate: 1_000_000, framerate: 30 });
      const canvas = new OffscreenCanvas(W, H);
      const ctx = canvas.getContext('2d')!;
      for (const [i, color] of ['#00c000', '#0000e0', '#e0e000'].entries()) {
        ctx.fillStyle = color;
        ctx.fillRect(0, 0, W, H);
        const frame = new VideoFrame(canvas, { timestamp: i * 33_333 });
        encoder.encode(frame, { keyFrame: i === 0 });
        frame.close();
      }
      await encoder.flush();
      const red = new OffscreenCanvas(64, 64);
      const r = red.getContext('2d')!;
      r.fillStyle = '#ff0000';
      r.fillRect(0, 0, 64, 64);
      const redPng = new Uint8Array(await (await red.convertToBlob({ type: 'image/png' })).arrayBuffer());

      type D = {
        canvas: HTMLCanvasElement;
        onMotion: ((c: object, painted: boolean) => void) | null;
        setGeometry(g: object): void;
        tile(c: number, r: number, codec: string, p: Uint8Array): void;
        motion(m: object): void;
        sync(s: number, t: number): void;
        idle(): Promise<void>;
      };
      const Display = (window as unknown as { Display: new () => D }).Display;
      const display = new Display();
      const painted: boolean[] = [];
      display.onMotion = (_c, p) => painted.push(p);
      document.body.append(display.canvas);
      /** the dominant colour of each tile's centre on the visible canvas */
      const colours = () =>
        [32, 96].map((x) => {
          const [R, G, B] = display.canvas.getContext('2d')!.getImageData(x, 32, 1, 1).data;
          return R > 150 && G > 150 && B < 80
            ? 'yellow'
            : R > 150 && G < 80
              ? 'red'
              : G > 120 && R < 80
                ? 'green'
                : B > 120 && R < 80
                  ? 'blue'
                  : `${R},${G},${B}`;
        });
      const motion = (seq: number, chunk: { key: boolean; data: Uint8Array }, mask: Uint8Array | null = null) =>
        display.motion({
          mask,
          key: chunk.key,
          codec: 'vp8',
          seq,
          captureTs: seq,
          col: 0,
          row: 0,
          columns: 2,
          rows: 1,
          payload: chunk.data,
        });
      const out: Record<string, unknown> = { keys: chunks.map((c) => c.key) };
      display.setGeometry({ width: W, height: H, tileSize: 64 });
      motion(1, chunks[0]);
      await display.idle();
      out.afterKey = colours();
      display.tile(0, 0, 'png', redPng);
      await display.idle();
      out.tileBeforeSync = colours();
      display.sync(2, 2);
      await display.idle();
      out.tileAfterSync = colours();
      motion(3, chunks[1]);
      await display.idle();
      out.afterDelta = colours();
      // A masked chunk paints the tiles its mask marks only: the left tile keeps the still tile drawn before it.
      display.tile(0, 0, 'png', redPng);
      display.sync(4, 4);
      motion(5, chunks[2], Uint8Array.of(0b10));
      await display.idle();
      out.afterMaskedDelta = colours();

      // A fresh display that never saw the key: the delta is not painted.
      const fresh = new Display();
      const freshPainted: boolean[] = [];
      fresh.onMotion = (_c, p) => freshPainted.push(p);
      fresh.setGeometry({ width: W, height: H, tileSize: 64 });
      fresh.motion({
        mask: null,
        key: false,
        codec: 'vp8',
        seq: 1,
        captureTs: 1,
        col: 0,
        row: 0,
        columns: 2,
        rows: 1,
        payload: chunks[1].data,
      });
      await fresh.idle();
      out.painted = painted;
      out.freshPainted = freshPainted;
      return out;
    });
    expect(steps.keys).toEqual([true, false, false]);
    expect(steps.afterKey).toEqual(['green', 'green']); // no sync needed
    expect(steps.tileBeforeSync).toEqual(['green', 'green']); // a still tile waits for its sync
    expect(steps.tileAfterSync).toEqual(['red', 'green']); // then wins over the motion frame
    expect(steps.afterDelta).toEqual(['blue', 'blue']); // until the next motion frame
    expect(steps.afterMaskedDelta).toEqual(['red', 'yellow']); // a masked one paints what its mask marks
    expect(steps.painted).toEqual([true, true, true]);
    expect(steps.freshPainted).toEqual([false]);
    expect(problems).toEqual([]);
  });
});
