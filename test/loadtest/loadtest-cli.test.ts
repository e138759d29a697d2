// CI smoke: the real load-test CLI against a real tilecast server for ~10 seconds, a few viewers, one slow and one
// late; the JSON must hold sane, non-zero figures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoadTestReport } from '../../client/loadtest/report';
import { freePort } from '../../client/loadtest/server-process';

const root = path.resolve(__dirname, '../..');

describe('tilecast-loadtest CLI', () => {
  it('runs against a local tilecast server and writes a sane JSON report', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'loadtest-smoke-'));
    const json = path.join(dir, 'out.json');
    const run = spawnSync(
      process.execPath,
      ['client/loadtest/bin.js', '--viewers', '4', '--slow', '0.25', '--late', '0.25', '--duration', '6', '--warmup', '1',
        '--drain', '5', '--json', json, '--quiet'],
      { cwd: root, encoding: 'utf8', timeout: 90_000 },
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
    expect(r.generator.cores).toBeGreaterThan(0);
  });

  it('fails with a clear message when the target is unreachable', async () => {
    const port = await freePort();
    const run = spawnSync(process.execPath, ['client/loadtest/bin.js', '--url', `http://127.0.0.1:${port}`, '--duration', '1'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(`cannot reach http://127.0.0.1:${port}: connection refused`);
  });

  it('rejects bad flags with one line', () => {
    const run = spawnSync(process.execPath, ['client/loadtest/bin.js', '--slow', '2'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--slow: Number must be less than or equal to 1/);
  });
});
