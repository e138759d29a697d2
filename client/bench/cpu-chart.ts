// The picture of the CPU target: CPU per delivered GB as a multiple of raw frame publish's, per point without
// stalled viewers (median of the ratios paired per repetition), each tilecast engine's limit drawn over its bars.
import { type ChartSeries, barChart } from './bar-chart';
import { cleanPoints, cpuPerGB, pairedRatio } from './markdown';
import type { BenchResults } from './results';
import { CPU_PER_GB_LIMITS, FLOOR, type ServerName } from './servers';

const COLORS: Partial<Record<ServerName, string>> = {
  'tilecast-uws': '#2e6be4',
  'tilecast-ws': '#e4572e',
  'ws-broadcast-frames': '#f0ad98',
  'uws-publish': '#9a9a9a',
};

/** null when the run has no floor or no clean point to compare at */
export function cpuRatioChart(r: BenchResults, servers: readonly ServerName[]): string | null {
  const points = cleanPoints(r);
  if (!servers.includes(FLOOR) || !points.length) return null;
  const limits = new Map(CPU_PER_GB_LIMITS);
  // in COLORS' order: the two engines first, then the references
  const shown = (Object.keys(COLORS) as ServerName[]).filter((s) => servers.includes(s));
  const series: ChartSeries[] = shown.map((s) => ({
    name: s,
    color: COLORS[s]!,
    target: limits.get(s),
    values: points.map((p) => pairedRatio(r, p.name, s, FLOOR, cpuPerGB)?.median ?? null),
  }));
  if (!series.some((s) => s.values.some((v) => v !== null))) return null;
  return barChart(
    'CPU per delivered GB against raw uWS frame publish (points without stalled viewers)',
    points.map((p) => p.name.replace('/0%stalled', '').replace('%ceil', '%').replace(' x ', ' ')),
    series,
    'x frame publish',
  );
}
