// Measures one content class on an open session: viewer painted fps, glass-to-glass latency (frame ids read back
// from the viewer canvas against the content's draw times), bytes/s, presenter long tasks and CPU.
import type { Browser, Page } from 'playwright-core';
import { cpuDelta, descendantsCpu } from './cpu';
import type { BenchSession } from './session';

export type ClassName = 'typing' | 'windows' | 'scrolling' | 'video';

export interface ClassResult {
  klass: ClassName;
  width: number;
  height: number;
  seconds: number;
  contentFps: number;
  /** syncs the viewer painted per second */
  viewerFps: number;
  /** distinct content frames seen on the viewer's canvas per second */
  shownFps: number;
  latencyP50: number | null;
  latencyP95: number | null;
  presenterFps: number;
  tilesPerFrame: number;
  presenterBytesPerSecond: number;
  viewerBytesPerSecond: number;
  workMs: number;
  readMs: number;
  diffMs: number;
  /** motion chunks the presenter sent per second (0 with the motion layer off or idle), and the last one's encode ms */
  motionFps: number;
  motionEncodeMs: number;
  longTasks: number;
  longestTaskMs: number;
  presenterCores: number | null;
  browserCores: number;
}

interface Counters {
  frames: number;
  bytes: number;
  tiles: number;
  width: number;
  height: number;
  workMs: number;
  readMs?: number;
  diffMs?: number;
  motion?: { frames: number; encodeMs: number };
}
const presenterStats = (p: Page) =>
  p.evaluate(() => (window as unknown as { tilecastPresenter: { stats(): Counters } }).tilecastPresenter.stats());
const viewerStats = (p: Page) =>
  p.evaluate(() =>
    (window as unknown as { tilecastViewer: { stats(): { frames: number; bytes: number } } }).tilecastViewer.stats(),
  );
const longTasks = (p: Page) => p.evaluate(() => [...(window as unknown as { __longTasks: number[] }).__longTasks]);
const seen = (p: Page) =>
  p.evaluate(() => (window as unknown as { __probe: { seen: [number, number][] } }).__probe.seen.length);
const seenSince = (p: Page, from: number) =>
  p.evaluate((f) => (window as unknown as { __probe: { seen: [number, number][] } }).__probe.seen.slice(f), from);

export function percentile(sorted: number[], q: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export async function measureClass(
  s: BenchSession,
  klass: ClassName,
  seconds: number,
  warmupSeconds = 2,
): Promise<ClassResult> {
  await s.content.evaluate((k) => (window as unknown as { play(k: string): void }).play(k), klass);
  await new Promise((r) => setTimeout(r, warmupSeconds * 1000));
  const [p0, v0, lt0, seen0, frame0] = await Promise.all([
    presenterStats(s.presenter),
    viewerStats(s.viewer),
    longTasks(s.presenter),
    seen(s.viewer),
    s.content.evaluate(() => (window as unknown as { bench: { frame: number } }).bench.frame),
  ]);
  const cpu0 = descendantsCpu();
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const cpu = cpuDelta(cpu0, descendantsCpu());
  const elapsed = (Date.now() - t0) / 1000;
  const [p1, v1, lt1, shown, frame1] = await Promise.all([
    presenterStats(s.presenter),
    viewerStats(s.viewer),
    longTasks(s.presenter),
    seenSince(s.viewer, seen0),
    s.content.evaluate(() => (window as unknown as { bench: { frame: number } }).bench.frame),
  ]);
  const drawnAt = await s.content.evaluate(
    (ids) => ids.map((id) => (window as unknown as { bench: { drawnAt: number[] } }).bench.drawnAt[id] ?? null),
    shown.map(([id]) => id),
  );
  await s.content.evaluate(() => (window as unknown as { stop(): void }).stop());
  const lat = shown
    .map(([, t], i) => (drawnAt[i] === null ? Number.NaN : t - drawnAt[i]!))
    .filter((x) => x >= 0 && x < 10_000)
    .sort((a, b) => a - b);
  const newTasks = lt1.slice(lt0.length);
  const frames = p1.frames - p0.frames;
  let total = 0;
  for (const ms of cpu.values()) total += ms;
  return {
    klass,
    width: p1.width,
    height: p1.height,
    seconds: elapsed,
    contentFps: (frame1 - frame0) / elapsed,
    viewerFps: (v1.frames - v0.frames) / elapsed,
    shownFps: shown.length / elapsed,
    latencyP50: percentile(lat, 0.5),
    latencyP95: percentile(lat, 0.95),
    presenterFps: frames / elapsed,
    tilesPerFrame: frames ? (p1.tiles - p0.tiles) / frames : 0,
    presenterBytesPerSecond: (p1.bytes - p0.bytes) / elapsed,
    viewerBytesPerSecond: (v1.bytes - v0.bytes) / elapsed,
    workMs: p1.workMs,
    readMs: p1.readMs ?? 0,
    diffMs: p1.diffMs ?? 0,
    motionFps: ((p1.motion?.frames ?? 0) - (p0.motion?.frames ?? 0)) / elapsed,
    motionEncodeMs: p1.motion?.encodeMs ?? 0,
    longTasks: newTasks.filter((d) => d > 50).length,
    longestTaskMs: newTasks.length ? Math.max(...newTasks) : 0,
    presenterCores: s.presenterPid === null ? null : (cpu.get(s.presenterPid) ?? 0) / 1000 / elapsed,
    browserCores: total / 1000 / elapsed,
  };
}

/** A late join's steps, ms from navigation start: where the time to the first full picture went. */
export interface LateJoinSteps {
  dom: number;
  open: number | null;
  /** first binary message, and the last one that arrived before the picture was painted */
  firstBinary: number | null;
  lastBinary: number | null;
  binaryMessages: number;
  painted: number;
}

/**
 * Opens a fresh viewer while `klass` plays: page navigation start -> first full picture painted (ms). The viewer
 * opens in `browser`: the presenter's own (the session's), or one of its own, as a viewer on another machine.
 */
export async function lateJoin(
  s: BenchSession,
  klass: ClassName,
  browser: Browser = s.browser,
): Promise<LateJoinSteps | null> {
  await s.content.evaluate((k) => (window as unknown as { play(k: string): void }).play(k), klass);
  await new Promise((r) => setTimeout(r, 1000));
  const ctx = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  try {
    const page = await ctx.newPage();
    // Socket open and binary message times as the page sees them (a message before the paint is part of the join).
    await page.addInitScript(() => {
      const times: number[] = [];
      const w = window as unknown as { __join: { open: number | null; binary: number[] }; WebSocket: typeof WebSocket };
      w.__join = { open: null, binary: times };
      const Native = WebSocket;
      w.WebSocket = class extends Native {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          this.addEventListener('open', () => (w.__join.open ??= performance.now()));
          this.addEventListener('message', (e) => {
            if (typeof e.data !== 'string') times.push(performance.now());
          });
        }
      };
    });
    await page.goto(s.viewerUrl);
    await page.waitForFunction(
      () =>
        (window as unknown as { tilecastViewer?: { stats(): { firstFrameAt: number | null } } }).tilecastViewer?.stats()
          .firstFrameAt != null,
      null,
      { timeout: 15_000 },
    );
    return await page.evaluate(() => {
      const w = window as unknown as {
        tilecastViewer: { stats(): { firstFrameAt: number } };
        __join: { open: number | null; binary: number[] };
      };
      const painted = w.tilecastViewer.stats().firstFrameAt;
      const before = w.__join.binary.filter((t) => t <= painted);
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      return {
        dom: nav.domContentLoadedEventEnd,
        open: w.__join.open,
        firstBinary: before[0] ?? null,
        lastBinary: before.at(-1) ?? null,
        binaryMessages: before.length,
        painted,
      };
    });
  } catch {
    return null;
  } finally {
    await ctx.close().catch(() => {});
    await s.content.evaluate(() => (window as unknown as { stop(): void }).stop());
  }
}

export interface Vp9Result {
  bytesPerSecond: number;
  frames: number;
  keyBytes: number;
  mode: string;
  quantizer: number;
  encodeMsP50: number | null;
  width: number;
  height: number;
}

/** The same class encoded by WebCodecs VP9 realtime in a page of its own (not captured). */
export async function vp9Reference(s: BenchSession, klass: ClassName, seconds: number): Promise<Vp9Result | null> {
  const page = await s.content.context().newPage();
  try {
    await page.goto(s.content.url());
    await page.evaluate(() => {
      document.title = 'vp9 reference';
    });
    return await page.evaluate(
      ([k, sec]) =>
        (window as unknown as { vp9Reference(k: string, s: number): Promise<Vp9Result> }).vp9Reference(
          k as string,
          sec as number,
        ),
      [klass, seconds] as const,
    );
  } catch (err) {
    console.warn(`vp9 reference failed: ${(err as Error).message}`);
    return null;
  } finally {
    await page.close().catch(() => {});
  }
}
