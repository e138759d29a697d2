// CI smoke of `npm run bench:browser` itself: one engine, 1280x720, two classes for a few seconds, one late join
// from each kind of browser. The bench's whole path (fixture tab, tab capture, presenter, viewer, frame ids read back
// from the viewer's canvas, late joins, report, charts, screenshots) must produce real figures. The targets are
// judged in the full bench; here only bounds that no working build misses even next to busy loops, so a pipeline
// that stops painting, paints at a few fps (the presenter before the issue-12 work: ~4) or takes half a second from
// content to viewer cannot land.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBench } from '../../helpers/repo-script';
import type { BrowserBenchResults } from '../../../client/bench/browser/report';

describe('npm run bench:browser (smoke)', () => {
  it('measures typing and windows at 1280x720 and a late join, and writes results, report, charts and screenshots', () => {
    const { out, results } = runBench<BrowserBenchResults>(
      'client/bench/browser/main.ts',
      [
        '--engines',
        'uws',
        '--sizes',
        '1280x720',
        '--classes',
        'typing,windows',
        '--seconds',
        '3',
        '--late-joins',
        '1',
        '--no-vp9',
      ],
      150_000,
    );
    expect(results.runs.map((r) => `${r.engine} ${r.size}`)).toEqual(['uws 1280x720']);
    const [size] = results.runs;
    expect(size.problems).toEqual([]);
    expect(size.classes.map((c) => c.klass)).toEqual(['typing', 'windows']);
    for (const c of size.classes) {
      expect([c.width, c.height], c.klass).toEqual([1280, 720]);
      // the content's frame ids came back from the viewer's canvas
      expect(c.viewerFps, c.klass).toBeGreaterThan(1);
      expect(c.latencyP50, c.klass).not.toBeNull();
      expect(c.presenterBytesPerSecond, c.klass).toBeGreaterThan(0);
    }
    // Frame rate and latency bounds on the still-tile path: typing painted all along the window (2026-12-02, 2-core
    // VM, Chromium 156, 8 runs: 19.9-24.3 fps, p50 95-181 ms; targets 25 fps, p50 100 ms).
    const typing = size.classes[0];
    expect(typing.viewerFps).toBeGreaterThan(10);
    expect(typing.shownFps).toBeGreaterThan(10);
    expect(typing.latencyP50!).toBeLessThan(500);
    // Windows goes through the motion layer (VP8): here only that it ran. On that VM the headless browser spent ~1.8
    // of the 2 cores on this class (its compositor thread alone ~0.5) and the viewer painted 3.7-16.3 fps, p50
    // 0.25-1.9 s over 8 runs, Chromium 155 no better; the same test measured 28-29 fps, p50 26-45 ms in earlier
    // sessions. The motion layer's frame rate is bounded in test/e2e/frame-rates/motion.test.ts.
    expect(size.classes[1].motionFps).toBeGreaterThan(0);
    expect(size.lateJoinMs).not.toBeNull();
    expect(size.lateJoinSteps!.binaryMessages).toBeGreaterThan(0);
    expect(size.ownBrowserJoin?.ms).not.toBeNull();

    const report = readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/\| uws \| 1280x720 \| windows \| \d+ \| \d+\.\d \| \d+ \/ \d+ \|/);
    expect(report).toMatch(/Late joiner .*uws 1280x720: \d+ ms/);
    for (const page of ['presenter', 'viewer']) {
      const png = readFileSync(path.join(out, `uws-1280x720-${page}.png`));
      expect(png.subarray(1, 4).toString(), page).toBe('PNG');
      expect(png.byteLength, page).toBeGreaterThan(20_000); // a page with a picture on it, not a blank one
    }
    for (const chart of ['fps.svg', 'latency.svg']) {
      const svg = readFileSync(path.join(out, chart), 'utf8');
      expect(svg, chart).toContain('<svg');
      expect(svg, chart).toMatch(/<title>uws windows 1280x720: \d/);
    }
    // ~40 s on a quiet machine (a session, two classes of 2 + 3 s, two late joins)
  }, 180_000);
});
