// CI smoke: the real load-test CLI against a real tilecast server for ~10 seconds, a few viewers, one slow and one
// late; the JSON must hold sane, non-zero figures.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runRepoScript } from '../helpers/repo-script';
import type { LoadTestReport } from '../../client/loadtest/report';
import { freePort, startServerProcess } from '../../client/loadtest/server-process';

describe('tilecast-loadtest CLI', () => {
  it('runs against a local tilecast server and writes a sane JSON report', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'loadtest-smoke-'));
    const json = path.join(dir, 'out.json');
    const run = runRepoScript(
      [
        'client/loadtest/bin.js',
        '--viewers',
        '4',
        '--slow',
        '0.25',
        '--late',
        '0.25',
        '--duration',
        '6',
        '--warmup',
        '1',
        '--drain',
        '5',
        '--generator-workers',
        '2',
        '--json',
        json,
        '--quiet',
      ],
      90_000,
    );
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.status).toBe(0);
    const r = JSON.parse(readFileSync(json, 'utf8')) as LoadTestReport;
    expect(existsSync(path.join(dir, 'out.svg'))).toBe(true);
    expect(r.target.protocol).toBe('tilecast');
    expect(r.errors.total).toBe(0);
    expect(r.presenter.frames).toBeGreaterThan(10);
    expect(r.totals.messagesPerSecond).toBeGreaterThan(0);
    expect(r.totals.mbPerSecond).toBeGreaterThan(0);
    const fast = r.classes.fast;
    expect(fast.viewers).toBe(2);
    expect(fast.connected).toBe(2);
    expect(fast.latencyMs.count).toBeGreaterThan(10);
    expect(fast.latencyMs.p50).toBeGreaterThan(0);
    expect(fast.latencyMs.p99).toBeGreaterThanOrEqual(fast.latencyMs.p50);
    expect(fast.latencyMs.p99).toBeLessThan(5000);
    expect(fast.framesPerSecondPerViewer).toBeGreaterThan(1);
    expect(fast.deliveryRatio).toBeGreaterThan(0.99);
    expect(r.classes.slow.viewers).toBe(1);
    expect(r.convergence).toMatchObject({ checked: 1, converged: 1 });
    expect(r.lateJoin.count).toBe(1);
    expect(r.lateJoin.withFullPicture).toBe(1);
    expect(r.lateJoin.p99Ms).toBeGreaterThan(0);
    expect(r.server).not.toBeNull();
    expect(r.server!.cpuSeconds).toBeGreaterThan(0);
    expect(r.server!.cpuSecondsPerGB).toBeGreaterThan(0);
    expect(r.server!.rssPeakMB).toBeGreaterThan(10);
    expect(r.server!.rssIdleMB).toBeGreaterThan(10);
    // measured from before the rooms existed, so it holds the window's growth (a few MB returned to the OS aside)
    expect(r.server!.rssGrowthFromIdleMB).toBeGreaterThan(r.server!.rssGrowthMB - 5);
    expect(r.generator.cores).toBeGreaterThan(0);
    // viewers ran on two worker threads; their load came back from both
    expect(r.generator.workers).toBe(2);
    expect(r.generator.maxThreadUtilization).toBeGreaterThan(0);
    expect(r.generator.maxThreadUtilization).toBeLessThanOrEqual(1);
    expect(r.generator.saturated).toBe(r.generator.limits.length > 0);
  });

  it('reads whole-frame relays: the raw uWS frame publish baseline delivers every frame with its sync', async () => {
    const server = await startServerProcess('client/bench/baselines/uws-publish-frames.ts', []);
    try {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'loadtest-frames-'));
      const json = path.join(dir, 'out.json');
      const run = runRepoScript(
        [
          'client/loadtest/bin.js',
          '--url',
          server.url,
          '--server-pid',
          String(server.pid),
          '--protocol',
          'forward-frames',
          '--viewers',
          '3',
          '--slow',
          '0',
          '--late',
          '0',
          '--rate',
          '200',
          '--fps',
          '10',
          '--duration',
          '3',
          '--warmup',
          '1',
          '--drain',
          '2',
          '--json',
          json,
          '--quiet',
        ],
        60_000,
      );
      expect(run.status).toBe(0);
      const r = JSON.parse(readFileSync(json, 'utf8')) as LoadTestReport;
      expect(r.errors.total).toBe(0);
      const fast = r.classes.fast;
      expect(fast.viewers).toBe(3);
      // one message per frame: syncs arrive at the presenter's frame rate, and every tile in them is counted
      expect(fast.framesPerSecondPerViewer).toBeGreaterThan(5);
      expect(fast.messagesPerSecond).toBeLessThan(fast.tilesPerSecond);
      expect(fast.deliveryRatio).toBeGreaterThan(0.99);
      expect(fast.latencyMs.count).toBeGreaterThan(10);
    } finally {
      await server.stop();
    }
  });

  it('fails with a clear message when the target is unreachable', async () => {
    const port = await freePort();
    const run = runRepoScript(
      ['client/loadtest/bin.js', '--url', `http://127.0.0.1:${port}`, '--duration', '1'],
      60_000,
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`cannot reach http://127.0.0.1:${port}: connection refused`);
  });

  it('rejects bad flags with one line', () => {
    const run = runRepoScript(['client/loadtest/bin.js', '--slow', '2'], 60_000);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--slow: Number must be less than or equal to 1/);
  });
});
