// The bench's CPU chart: one bar per engine and clean point at the median paired ratio against frame publish, the
// engine's limit drawn over its own bars, stalled points and the memory stress left out.
import { describe, expect, it } from 'vitest';
import { cpuRatioChart } from '../../client/bench/cpu-chart';
import type { BenchResults } from '../../client/bench/results';
import type { LoadTestReport } from '../../client/loadtest/report';

const report = (cpuPerGB: number) =>
  ({ server: { cpuSecondsPerGB: cpuPerGB }, generator: { saturated: false } }) as unknown as LoadTestReport;

const point = (name: string, stalled: number, memory = false) => ({ name, stalled, memory });

function results(rows: [string, string, number, number][]): BenchResults {
  return {
    profile: 'quick',
    points: [
      point('1000v@25k/0%stalled', 0),
      point('50rooms x 20v@25k/0%stalled', 0),
      point('200v@80%/20%stalled', 0.2),
      point('memory', 0, true),
    ],
    rows: rows.map(([p, server, rep, cpu]) => ({ point: p, server, rep, order: 0, report: report(cpu), error: null })),
  } as unknown as BenchResults;
}

/** tooltip text of every bar: "server group: value" */
const bars = (svg: string) => [...svg.matchAll(/<title>([^<]+)<\/title>/g)].map((m) => m[1]);

describe('cpuRatioChart', () => {
  it('draws the median paired ratio per clean point and each engine its limit', () => {
    const r = results([
      ['1000v@25k/0%stalled', 'uws-publish-frames', 1, 1.0],
      ['1000v@25k/0%stalled', 'tilecast-uws', 1, 1.1],
      ['1000v@25k/0%stalled', 'uws-publish-frames', 2, 2.0],
      ['1000v@25k/0%stalled', 'tilecast-uws', 2, 2.6],
      ['1000v@25k/0%stalled', 'uws-publish-frames', 3, 1.0],
      ['1000v@25k/0%stalled', 'tilecast-uws', 3, 1.2],
      ['50rooms x 20v@25k/0%stalled', 'uws-publish-frames', 1, 1.0],
      ['50rooms x 20v@25k/0%stalled', 'tilecast-uws', 1, 1.5],
      ['50rooms x 20v@25k/0%stalled', 'tilecast-ws', 1, 2.25],
      ['200v@80%/20%stalled', 'uws-publish-frames', 1, 1.0],
      ['200v@80%/20%stalled', 'tilecast-uws', 1, 9.0],
    ]);
    const svg = cpuRatioChart(r, ['tilecast-uws', 'tilecast-ws', 'uws-publish-frames'])!;
    expect(bars(svg)).toEqual([
      'tilecast-uws 1000v@25k: 1.2', // ratios 1.1, 1.3, 1.2: the median, not the mean of the CPU figures
      'tilecast-uws 50rooms 20v@25k: 1.5',
      'tilecast-ws 50rooms 20v@25k: 2.3',
    ]);
    expect(svg).toContain('tilecast-uws ≤ 1.25');
    expect(svg).toContain('tilecast-ws ≤ 1.6');
    // one limit line over each drawn bar
    expect(svg.match(/stroke-dasharray="4 2"\/>/g)?.length).toBe(3 + 1); // + the legend's
  });

  it('is null without the floor in the run', () => {
    const r = results([['1000v@25k/0%stalled', 'tilecast-uws', 1, 1.1]]);
    expect(cpuRatioChart(r, ['tilecast-uws'])).toBeNull();
  });
});
