// `npx tsx client/bench/browser/compare.ts BEFORE/results.json AFTER/results.json OUT_DIR`: a before/after table
// (markdown) and a viewer-fps chart (SVG) from two `npm run bench:browser` runs.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { barChart } from '../bar-chart';
import type { ClassResult } from './measure';
import type { BrowserBenchResults, SizeRun } from './report';

const [beforeFile, afterFile, outDir] = process.argv.slice(2);
if (!beforeFile || !afterFile || !outDir) throw new Error('usage: compare.ts BEFORE.json AFTER.json OUT_DIR');
const before = JSON.parse(readFileSync(beforeFile, 'utf8')) as BrowserBenchResults;
const after = JSON.parse(readFileSync(afterFile, 'utf8')) as BrowserBenchResults;

const find = (r: BrowserBenchResults, engine: string, size: string, klass: string): ClassResult | undefined =>
  r.runs.find((x) => x.engine === engine && x.size === size)?.classes.find((c) => c.klass === klass);
const n = (x: number | null | undefined, d = 0) => (x === null || x === undefined ? '–' : x.toFixed(d));
const arrow = (a: string, b: string) => `${a} → **${b}**`;

const rows = [
  '| engine | size | class | viewer fps | g2g p50 ms | g2g p95 ms | KB/s (VP9 ref) | presenter cores | long tasks |',
  '|---|---|---|---|---|---|---|---|---|',
];
const groups: string[] = [];
const series: Record<string, (number | null)[]> = {};
for (const run of after.runs) {
  for (const a of run.classes) {
    const b = find(before, run.engine, run.size, a.klass);
    const ref = run.vp9[a.klass];
    rows.push(
      `| ${run.engine} | ${run.size} | ${a.klass} | ${arrow(n(b?.viewerFps, 1), n(a.viewerFps, 1))} | ${arrow(n(b?.latencyP50), n(a.latencyP50))} | ${arrow(n(b?.latencyP95), n(a.latencyP95))} | ${arrow(n(b && b.presenterBytesPerSecond / 1024), n(a.presenterBytesPerSecond / 1024))} (${ref ? n(ref.bytesPerSecond / 1024) : '–'}) | ${arrow(n(b?.presenterCores, 2), n(a.presenterCores, 2))} | ${b?.longTasks ?? '–'} → ${a.longTasks} |`,
    );
    const g = `${a.klass} ${run.size}`;
    if (!groups.includes(g)) groups.push(g);
    for (const [label, c] of [
      [`before ${run.engine}`, b],
      [`after ${run.engine}`, a],
    ] as const) {
      series[label] ??= [];
      series[label][groups.indexOf(g)] = c?.viewerFps ?? null;
    }
  }
}
/** Per engine and size, a join time before -> after, for the runs that have it after (`pick` reads it). */
const joinLine = (runs: SizeRun[], pick: (r: SizeRun | undefined) => number | null | undefined) =>
  runs
    .map(
      (r) =>
        `${r.engine} ${r.size}: ${n(pick(before.runs.find((x) => x.engine === r.engine && x.size === r.size)))} → **${n(pick(r))}** ms`,
    )
    .join(' · ');
const late = joinLine(after.runs, (r) => r?.lateJoinMs);
const ownLate = joinLine(
  after.runs.filter((r) => r.ownBrowserJoin),
  (r) => r?.ownBrowserJoin?.ms,
);
const md = `${rows.join('\n')}\n\nLate joiner (navigation → first full picture), in the presenter's browser: ${late}\n${ownLate ? `\nIn a browser of its own: ${ownLate}\n` : ''}`;
mkdirSync(outDir, { recursive: true });
writeFileSync(path.join(outDir, 'compare.md'), md);
const colors: Record<string, string> = {
  'before uws': '#9db7ea',
  'after uws': '#2e6be4',
  'before ws': '#f0ad98',
  'after ws': '#e4572e',
};
const targets = groups.map((g) =>
  g.startsWith('typing') || g.startsWith('windows') ? (g.includes('1920') ? 15 : 25) : g.includes('1280') ? 15 : null,
);
writeFileSync(
  path.join(outDir, 'compare-fps.svg'),
  barChart(
    'Viewer painted fps, before → after (npm run bench:browser)',
    groups,
    Object.entries(series).map(([name, values]) => ({
      name,
      color: colors[name] ?? '#888',
      values: groups.map((_, i) => values[i] ?? null),
    })),
    'fps',
    { targets },
  ),
);
console.log(md);
