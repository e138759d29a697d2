// CI smoke of `npm run bench` itself: one light point, tilecast-uws against the frame-publish floor, one short
// repetition. The bench's own path (servers as bundles, the load generator, paired ratios, the report, the charts)
// must produce real figures; the figures themselves are judged in the full bench, not here.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runBench } from '../helpers/repo-script';
import type { BenchResults } from '../../client/bench/results';

describe('npm run bench (smoke)', () => {
  it('runs a point against the floor and writes the report, results and CPU chart', () => {
    const { out, results } = runBench<BenchResults>(
      'client/bench/main.ts',
      [
        '--only',
        '50v@25k/0%',
        '--servers',
        'tilecast-uws,uws-publish-frames',
        '--reps',
        '1',
        '--duration',
        '2',
        '--warmup',
        '1',
      ],
      150_000,
    );
    const rows = results.rows.filter((r) => r.point === '50v@25k/0%stalled');
    expect(rows.map((r) => r.server).sort()).toEqual(['tilecast-uws', 'uws-publish-frames']);
    for (const r of rows) {
      expect(r.error).toBeNull();
      expect(r.report!.totals.bytes).toBeGreaterThan(0);
      expect(r.report!.server!.cpuSecondsPerGB).toBeGreaterThan(0);
    }

    const report = readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/CPU per delivered GB, tilecast-uws ≤ 1\.25x .*50v@25k\/0%stalled: \d+\.\d\d/);

    const chart = readFileSync(path.join(out, 'cpu-vs-frame-publish.svg'), 'utf8');
    expect(chart).toContain('tilecast-uws ≤ 1.25');
    const bar = chart.match(/<title>tilecast-uws 50v@25k: (\d+\.\d)<\/title>/);
    expect(Number(bar?.[1])).toBeGreaterThan(0);
    // ~15 s on a quiet machine (one ceiling calibration, two short runs); more beside busy loops
  }, 180_000);
});
