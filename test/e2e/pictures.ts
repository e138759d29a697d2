// Reading pictures out of the pages: the presenter's last captured frame and a viewer's canvas at 1:1.
import type { Page } from 'playwright-core';
import { type PixelDiff, dataUrlToBuffer, pixelDiff } from './pixels';

type PresenterHooks = { tilecastPresenter: { lastFrame(): Promise<string | null>; stats(): { frames: number } } };
type ViewerHooks = {
  tilecastViewer: {
    stats(): {
      frames: number;
      skipped: number;
      decodeErrors: number;
      firstFrameAt: number | null;
      tiles: number;
      bytes: number;
      resyncs: number;
      latencyMs: number | null;
    };
    history(): string[];
    setMode(m: 'fit' | 'actual'): void;
    idle(): Promise<void>;
  };
};

export async function waitForState(page: Page, state: string, timeout = 10_000): Promise<void> {
  await page.waitForFunction((s) => document.body.dataset.state === s, state, { timeout });
}

/**
 * Waits until the viewer knows the presenter is live: 'loading' (no picture painted yet: the first frame is still
 * on its way, slow on a throttled link or while tab capture has not delivered one) or 'live'.
 */
export async function waitForPresenterLive(page: Page, timeout = 10_000): Promise<void> {
  await page.waitForFunction(() => ['loading', 'live'].includes(document.body.dataset.state ?? ''), null, { timeout });
}

/** Waits until the presenter has sent nothing new for `quietMs` (the animation stopped and the tail is out). */
export async function presenterSettled(page: Page, quietMs = 800, timeout = 20_000): Promise<number> {
  const end = Date.now() + timeout;
  let last = -1;
  let since = Date.now();
  while (Date.now() < end) {
    const frames = await page.evaluate(() => (window as unknown as PresenterHooks).tilecastPresenter.stats().frames);
    if (frames !== last) {
      last = frames;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return frames;
    await page.waitForTimeout(100);
  }
  throw new Error('the presenter kept sending frames');
}

export async function lastCapturedFrame(presenter: Page): Promise<Buffer> {
  const url = await presenter.evaluate(() => (window as unknown as PresenterHooks).tilecastPresenter.lastFrame());
  if (!url) throw new Error('the presenter has no captured frame');
  return dataUrlToBuffer(url);
}

/** A screenshot of the viewer's canvas at 1:1 (stats overlay hidden), once every queued tile is painted. */
export async function canvasShot(viewer: Page, path?: string): Promise<Buffer> {
  await viewer.evaluate(async () => {
    const hooks = (window as unknown as ViewerHooks).tilecastViewer;
    hooks.setMode('actual');
    await hooks.idle();
  });
  return viewer.locator('#screen').screenshot({ path, animations: 'disabled' });
}

export interface Match {
  diff: PixelDiff;
  /** ms from the start of waiting until the canvas matched */
  waitedMs: number;
}

export interface MatchLimits {
  mean: number;
  badFraction: number;
}

/** Polls the viewer's canvas until it matches `expected` within `limits`; returns the last diff either way. */
export async function waitForPicture(
  viewer: Page,
  expected: Buffer,
  limits: MatchLimits,
  timeout = 15_000,
): Promise<Match> {
  const started = Date.now();
  let diff: PixelDiff | null = null;
  while (Date.now() - started < timeout) {
    try {
      diff = await pixelDiff(await canvasShot(viewer), expected);
      if (diff.mean <= limits.mean && diff.badFraction <= limits.badFraction) break;
    } catch {
      // sizes differ: no geometry yet
    }
    await viewer.waitForTimeout(150);
  }
  if (!diff) throw new Error('the viewer never showed a picture of the right size');
  return { diff, waitedMs: Date.now() - started };
}

export function viewerStats(viewer: Page) {
  return viewer.evaluate(() => (window as unknown as ViewerHooks).tilecastViewer.stats());
}

export function viewerHistory(viewer: Page): Promise<string[]> {
  return viewer.evaluate(() => (window as unknown as ViewerHooks).tilecastViewer.history());
}
