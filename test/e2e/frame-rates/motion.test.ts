// The motion layer in real Chromium: the bench fixture's scrolling document and video, captured by the presenter
// page, must travel as VP8 motion chunks; the viewer paints them (frame ids read back from its canvas move at a
// video rate and match the content), a late joiner gets a full picture at once and joins the motion stream at the
// next key, a viewer held back by a throttled link drops deltas, resumes at a key and never fails to decode, the
// text around moving windows stays sharp (the video paints only the tiles that changed), and a share that changes
// size mid-motion goes on at the new size.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBenchSession, sizeContent, type BenchSession } from '../../../client/bench/browser/session';
import { buildClient } from '../../../client/build';
import { canvasShot, lastCapturedFrame, viewerStats, waitForPicture } from '../pictures';
import { exactTileShare } from '../pixels';
import { ARTIFACTS } from '../session';

interface MotionStats {
  frames: number;
  bytes: number;
  /** absent until the first frame report (the predicates below allow for that) */
  motion: { state: string; region: string | null; frames: number; keys: number; bytes: number; cropped: number };
}
interface ViewerMotion {
  frames: number;
  motionChunks: number;
  motionFrames: number;
  motionErrors: number;
  decodeErrors: number;
  firstFrameAt: number | null;
}

/** JPEG tiles of a photographic region against the captured frame (the e2e tests' WebP limits) */
const LOSSY = { mean: 4, badFraction: 0.03 };

const presenterStats = (p: Page) =>
  p.evaluate(() => (window as unknown as { tilecastPresenter: { stats(): MotionStats } }).tilecastPresenter.stats());
const viewerMotion = (p: Page) =>
  p.evaluate(() => (window as unknown as { tilecastViewer: { stats(): ViewerMotion } }).tilecastViewer.stats());
/** content frame ids the viewer probe has read back from the canvas so far */
const seenIds = (p: Page) =>
  p.evaluate(() => (window as unknown as { __probe: { seen: [number, number][] } }).__probe.seen.map(([id]) => id));
const play = (s: BenchSession, klass: string) =>
  s.content.evaluate((k) => (window as unknown as { play(k: string): void }).play(k), klass);
const contentFrame = (s: BenchSession) =>
  s.content.evaluate(() => (window as unknown as { bench: { frame: number } }).bench.frame);

async function until<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeout = 15_000): Promise<T> {
  const end = Date.now() + timeout;
  let v = await read();
  while (!ok(v)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
    v = await read();
  }
  return v;
}

describe.each(['uws', 'ws'] as const)('motion layer end to end (%s engine)', (engine) => {
  let s: BenchSession;
  let noDecoder: Page;
  const log = (...args: unknown[]) => console.log(`[e2e motion ${engine}]`, ...args);

  beforeAll(async () => {
    await buildClient();
    s = await openBenchSession(engine, 960, 540);
  });
  afterAll(async () => {
    await s?.close();
  });

  it('a scrolling document goes out as motion chunks and the viewer paints them at a video rate', async () => {
    await play(s, 'scrolling');
    const p0 = await until(
      'a motion region',
      () => presenterStats(s.presenter),
      (p) => (p.motion?.frames ?? 0) >= 3,
    );
    expect(p0.motion.state).toBe('active');
    // 960x540 is 15x9 tiles of 64 px: the whole screen scrolls (the 28 px bottom row may join a frame later)
    expect(p0.motion.region).toMatch(/^0,0 15x[89]$/);
    const v0 = await viewerMotion(s.viewer);
    const ids0 = (await seenIds(s.viewer)).length;
    const f0 = await contentFrame(s);
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 3000));
    const seconds = (Date.now() - t0) / 1000;
    const [p1, v1, ids, f1] = await Promise.all([
      presenterStats(s.presenter),
      viewerMotion(s.viewer),
      seenIds(s.viewer),
      contentFrame(s),
    ]);
    const motionFps = (v1.motionFrames - v0.motionFrames) / seconds;
    log(`server: ${await droppedForRoom(s)} motion chunks not sent to a viewer so far`);
    const shown = ids.slice(ids0);
    log(
      `presenter ${((p1.motion.frames - p0.motion.frames) / seconds).toFixed(1)} motion fps, ` +
        `${((p1.bytes - p0.bytes) / seconds / 1024).toFixed(0)} KB/s, keys ${p1.motion.keys}; viewer painted ` +
        `${motionFps.toFixed(1)} motion fps, ${(shown.length / seconds).toFixed(1)} content frames/s ` +
        `(content ${((f1 - f0) / seconds).toFixed(1)})`,
    );
    expect(motionFps).toBeGreaterThanOrEqual(8);
    // The frame ids are drawn inside the scrolled region: read back from the viewer's canvas, they are the
    // content's own recent frames, so what the motion frames paint is the presenter's picture. The id spans two
    // tiles; a tile refreshed as a still is painted at its sync, a few ms before the same capture's motion frame
    // paints the other, so a read in between can mix two consecutive frames' bits (seen once in ~10 runs: 127
    // with the content at 98). Such reads are rare; all the others must be recent ids.
    expect(shown.length / seconds).toBeGreaterThanOrEqual(8);
    const recent = shown.filter((id) => id > f0 - 60 && id <= f1);
    if (recent.length < shown.length) log(`ids read across two frames: ${shown.filter((id) => !recent.includes(id))}`);
    expect(recent.length).toBeGreaterThanOrEqual(shown.length * 0.9);
    expect(v1.motionErrors).toBe(0);
    expect(v1.decodeErrors).toBe(0);
    // a key at least every 1-2 s
    expect(p1.motion.keys - p0.motion.keys).toBeGreaterThanOrEqual(1);
    // The region (the whole 960x540 screen, even-sized) was cropped from the captured frames, not copied out of
    // the RGBA pixels: the frame ids read back above are what those crops showed.
    expect(p1.motion.cropped - p0.motion.cropped).toBeGreaterThan(0);
  });

  it('a late joiner gets the full picture at once, then joins the motion stream at the next key', async () => {
    await play(s, 'video');
    await until(
      'video region',
      () => presenterStats(s.presenter),
      (p) => p.motion?.state === 'active',
    );
    const ctx = await s.browser.newContext({ viewport: { width: 1100, height: 700 } });
    s.contexts.push(ctx);
    const late = await ctx.newPage();
    await late.goto(s.viewerUrl);
    const first = await until(
      'the first picture',
      () => viewerMotion(late),
      (v) => v.firstFrameAt !== null,
    );
    log(`late joiner: first full picture ${first.firstFrameAt?.toFixed(0)} ms after navigation`);
    // No tile of its canvas is left unpainted (the display starts dark, #0b0d12): the ScreenShot is complete.
    const dark = await late.evaluate(() => {
      const c = document.getElementById('screen') as HTMLCanvasElement;
      const px = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let y = 32; y < c.height; y += 64)
        for (let x = 32; x < c.width; x += 64) {
          const i = (y * c.width + x) * 4;
          if (px[i] === 0x0b && px[i + 1] === 0x0d && px[i + 2] === 0x12) n++;
        }
      return n;
    });
    expect(dark).toBe(0);
    const joined = await until(
      'motion frames on the late joiner',
      () => viewerMotion(late),
      (v) => v.motionFrames >= 5,
    );
    expect(joined.motionErrors).toBe(0);
    await late.screenshot({ path: `${ARTIFACTS}motion-${engine}-late-joiner.png` });
    await ctx.close(); // the throttled viewer below is then the only slow one the server's counters can show
  });

  it('a viewer on a throttled link drops deltas, resumes at a key and decodes without errors', async () => {
    const ctx = await s.browser.newContext({ viewport: { width: 1100, height: 700 } });
    s.contexts.push(ctx);
    const slow = await ctx.newPage();
    const cdp = await ctx.newCDPSession(slow);
    await cdp.send('Network.enable');
    const throttle = (kbps: number) =>
      cdp.send('Network.emulateNetworkConditions', {
        offline: false,
        latency: kbps ? 40 : 0,
        downloadThroughput: kbps ? (kbps * 1000) / 8 : -1,
        uploadThroughput: kbps ? (kbps * 1000) / 8 : -1,
      });
    await slow.goto(s.viewerUrl);
    await until(
      'slow viewer picture',
      () => viewerMotion(slow),
      (v) => v.firstFrameAt !== null,
    );
    await play(s, 'scrolling');
    await throttle(400); // far under the stream's rate
    const dropped0 = await droppedForRoom(s);
    await new Promise((r) => setTimeout(r, 4000));
    const during = await viewerMotion(slow);
    const dropped1 = await droppedForRoom(s);
    log(`throttled: ${during.motionFrames} motion frames painted, server dropped ${dropped1 - dropped0} chunks`);
    expect(dropped1 - dropped0).toBeGreaterThan(0);
    await throttle(0);
    const after = await until(
      'motion frames after the link recovers',
      () => viewerMotion(slow),
      (v) => v.motionFrames >= during.motionFrames + 10,
    );
    expect(after.motionErrors).toBe(0);
    expect(after.decodeErrors).toBe(0);
  });

  it('a viewer without VideoDecoder ignores the chunks and keeps the region through its still tiles', async () => {
    const ctx = await s.browser.newContext({ viewport: { width: 1100, height: 700 } });
    s.contexts.push(ctx);
    noDecoder = await ctx.newPage();
    await noDecoder.addInitScript(() => {
      // as in a browser without WebCodecs decoding
      (window as unknown as { VideoDecoder?: unknown }).VideoDecoder = undefined;
    });
    await noDecoder.goto(s.viewerUrl);
    await play(s, 'video');
    const v = await until(
      'motion chunks on it',
      () => viewerMotion(noDecoder),
      (x) => x.motionChunks >= 20,
    );
    const later = await until(
      'still frames go on',
      () => viewerMotion(noDecoder),
      (x) => x.frames >= v.frames + 5,
    );
    expect(later.motionFrames).toBe(0);
    expect(later.decodeErrors).toBe(0);
  });

  it('when the motion stops, every viewer converges to the captured picture through still tiles', async () => {
    await s.content.evaluate(() => (window as unknown as { stop(): void }).stop());
    await until(
      'the region to end',
      () => presenterStats(s.presenter),
      (p) => p.motion?.state === 'idle',
    );
    const expected = await lastCapturedFrame(s.presenter);
    for (const [name, page] of [
      ['viewer', s.viewer],
      ['viewer without VideoDecoder', noDecoder],
    ] as const) {
      // The video's still tiles are JPEG (photographic): close, not exact; the text around it is lossless.
      const match = await waitForPicture(page, expected, LOSSY);
      log(`${name} converged in ${match.waitedMs} ms, mean diff ${match.diff.mean.toFixed(3)}`);
      expect(match.diff.mean).toBeLessThanOrEqual(LOSSY.mean);
      expect(match.diff.badFraction).toBeLessThanOrEqual(LOSSY.badFraction);
    }
    await canvasShot(s.viewer, `${ARTIFACTS}motion-${engine}-viewer-final.png`);
    expect(s.problems).toEqual([]);
  });

  it('while windows move in a motion region, the text around them stays sharp on the viewer (masked chunks)', async () => {
    await play(s, 'windows');
    // The region first, then the samples, each with its own time: on this VM's Chromium the presenter took 2.3-3.4 s
    // to see the motion, and one sample (two screenshots) 0.5-4.5 s. In CI the samples alone took 3.6-4.5 s each,
    // so 15 s held three: four get 30 s.
    const played = Date.now();
    await until(
      'a motion region',
      () => presenterStats(s.presenter),
      (p) => !!p.motion?.region,
    );
    const regionMs = Date.now() - played;
    const shares: number[] = [];
    const sampleMs: number[] = [];
    const end = Date.now() + 30_000;
    while (shares.length < 4 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 400));
      const region = (await presenterStats(s.presenter)).motion?.region;
      if (!region) continue;
      const started = Date.now();
      const [captured, shown] = await Promise.all([lastCapturedFrame(s.presenter), canvasShot(s.viewer)]);
      const [col, row, columns, rows] = /(\d+),(\d+) (\d+)x(\d+)/.exec(region)!.slice(1).map(Number);
      shares.push(await exactTileShare(captured, shown, { col, row, columns, rows }));
      sampleMs.push(Date.now() - started);
    }
    log(
      `tiles of the region pixel-exact on the viewer while windows move: ${shares.map((x) => x.toFixed(2))} (region after ${regionMs} ms; samples took ${sampleMs.join(', ')} ms)`,
    );
    expect(shares.length).toBe(4);
    // Video paints only what changed: the desktop around the windows keeps its lossless still tiles (the rest differ
    // by the moving windows themselves and the capture/paint timing). Unmasked, the video covered them all: 0-1 %.
    expect(Math.max(...shares)).toBeGreaterThanOrEqual(0.25);
    expect(s.problems).toEqual([]);
    await s.content.evaluate(() => (window as unknown as { stop(): void }).stop());
  });

  it('a share that changes size while a region is active goes on at the new size', async () => {
    await play(s, 'scrolling');
    const before = await until(
      'a motion region',
      () => presenterStats(s.presenter),
      (p) => p.motion?.state === 'active' && p.motion.region !== null,
    );
    // A frame the capture worker fails on is logged as a warning and dropped (the next one is a full frame).
    const captureWarnings: string[] = [];
    s.presenter.on('console', (m) => m.text().startsWith('tilecast capture') && captureWarnings.push(m.text()));
    // 960x540 (15x9 tiles, the region nearly all of them) to 800x450 (13x8): the old region is not on the new grid
    await sizeContent(s.content, 800, 450);
    await until(
      'the viewer at the new size',
      () => s.viewer.evaluate(() => document.querySelector('canvas')?.width ?? 0),
      (w) => w === 800,
    );
    const v0 = await viewerMotion(s.viewer);
    await until(
      'pictures at the new size',
      () => viewerMotion(s.viewer),
      (v) => v.frames >= v0.frames + 10,
    );
    const after = await presenterStats(s.presenter);
    log(`region ${before.motion.region} at 960x540, then ${after.motion.region}; presenter frames ${after.frames}`);
    // The presenter stayed live, and no frame failed in its capture worker (indexed on the new grid, the old
    // region's tiles lay past its end, and the first frame at the new size was dropped).
    expect(await s.presenter.evaluate(() => document.body.dataset.state)).toBe('live');
    const rooms = (await (await fetch(`${s.server.url}/api/rooms`)).json()) as {
      rooms: { presenter: string; geometry: { width: number; height: number } }[];
    };
    expect(rooms.rooms[0]).toMatchObject({ presenter: 'live', geometry: { width: 800, height: 450 } });
    expect(captureWarnings).toEqual([]);
    expect(s.problems).toEqual([]);
    await s.content.evaluate(() => (window as unknown as { stop(): void }).stop());
  });
});

async function droppedForRoom(s: BenchSession): Promise<number> {
  const rooms = (await (await fetch(`${s.server.url}/api/rooms`)).json()) as { rooms: { motionDropped: number }[] };
  return rooms.rooms.reduce((n, r) => n + (r.motionDropped ?? 0), 0);
}
