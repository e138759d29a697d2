// The bench's paired ratios: a repetition whose load generator was the limit is left out of every target, one whose
// generator event loop ran late only out of latency targets.
import { describe, expect, it } from 'vitest';
import { pairedRatio } from '../../client/bench/markdown';
import type { BenchResults } from '../../client/bench/results';
import type { LoadTestReport } from '../../client/loadtest/report';

const report = (cpuPerGB: number, generator: { saturated?: boolean; loopDelayed?: boolean } = {}) =>
  ({
    server: { cpuSecondsPerGB: cpuPerGB },
    generator: { saturated: false, loopDelayed: false, ...generator },
  }) as unknown as LoadTestReport;

function results(rows: [string, number, LoadTestReport][]): BenchResults {
  return {
    rows: rows.map(([server, rep, r]) => ({ point: 'p', server, rep, order: 0, report: r, error: null })),
  } as unknown as BenchResults;
}

const cpu = (x: LoadTestReport) => x.server?.cpuSecondsPerGB;

describe('pairedRatio', () => {
  it('pairs per repetition and leaves out repetitions where either run was generator-limited', () => {
    const r = results([
      ['tilecast-uws', 1, report(1.2)],
      ['uws-publish-frames', 1, report(1.0)],
      ['tilecast-uws', 2, report(3.0, { saturated: true })],
      ['uws-publish-frames', 2, report(1.0)],
      ['tilecast-uws', 3, report(1.1)],
      ['uws-publish-frames', 3, report(1.0, { loopDelayed: true })],
    ]);
    const s = pairedRatio(r, 'p', 'tilecast-uws', 'uws-publish-frames', cpu)!;
    expect(s.n).toBe(2); // rep 2 out; a late loop does not touch CPU figures
    expect(s.min).toBeCloseTo(1.1);
    expect(s.max).toBeCloseTo(1.2);
    const latencyLike = pairedRatio(
      r,
      'p',
      'tilecast-uws',
      'uws-publish-frames',
      cpu,
      'p',
      (x) => x.generator.saturated || x.generator.loopDelayed,
    );
    expect(latencyLike!.n).toBe(1);
    expect(latencyLike!.median).toBeCloseTo(1.2);
  });

  it('is null when every repetition was left out', () => {
    const r = results([
      ['tilecast-uws', 1, report(1.2, { saturated: true })],
      ['uws-publish-frames', 1, report(1.0)],
    ]);
    expect(pairedRatio(r, 'p', 'tilecast-uws', 'uws-publish-frames', cpu)).toBeNull();
  });
});
