// `npm run bench:browser [-- --engines uws,ws] [--sizes 1280x720,1920x1080] [--classes typing,windows,scrolling,video]
// [--seconds 6] [--label TEXT] [--presenter-query ?x=y] [--late-joins 1] [--viewer-browser same|own] [--no-vp9]`: real Chromium on this machine plays each content class in a
// fixture tab, a presenter page captures it and a viewer paints it. Late joiners open both in the presenter's
// browser and in a browser of their own (a viewer is on another machine; this one still shares the cores).
// Writes results.json, report.md, fps.svg / latency.svg and screenshots of both pages (windows class) per engine and
// size to bench-results/browser-<stamp>/.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildClient } from '../../build';
import { REPO_ROOT } from '../../loadtest/server-process';
import { barChart } from '../bar-chart';
import { launchViewerChromium } from './chromium';
import { type ClassName, type LateJoinSteps, lateJoin, measureClass, vp9Reference } from './measure';
import { type BrowserBenchResults, type SizeRun, benchMarkdown, lateJoinText } from './report';
import { type BenchSession, openBenchSession } from './session';

const { values } = parseArgs({
  options: {
    engines: { type: 'string', default: 'uws,ws' },
    sizes: { type: 'string', default: '1280x720,1920x1080' },
    classes: { type: 'string', default: 'typing,windows,scrolling,video' },
    seconds: { type: 'string', default: '6' },
    label: { type: 'string', default: 'current' },
    'presenter-query': { type: 'string', default: '' },
    /** where the measured viewer runs: the presenter's browser (same), or a Chromium of its own (own) */
    'viewer-browser': { type: 'string', default: 'same' },
    'no-vp9': { type: 'boolean' },
    /** late joiners per engine and size: one is a noisy sample on a loaded machine; the median is reported */
    'late-joins': { type: 'string', default: '1' },
    out: { type: 'string' },
  },
});
const engines = values.engines!.split(',') as ('uws' | 'ws')[];
const sizes = values.sizes!.split(',').map((s) => s.split('x').map(Number) as [number, number]);
const classes = values.classes!.split(',') as ClassName[];
const seconds = Number(values.seconds);
if (values['viewer-browser'] !== 'same' && values['viewer-browser'] !== 'own')
  throw new Error(`--viewer-browser is same or own, not ${values['viewer-browser']}`);
const viewerBrowser = values['viewer-browser'];

await buildClient();
const startedAt = new Date().toISOString();
const stamp = startedAt.slice(0, 19).replace(/[:T]/g, '-');
const outDir = values.out ?? path.join(REPO_ROOT, 'bench-results', `browser-${stamp}`);
mkdirSync(outDir, { recursive: true });
const results: BrowserBenchResults = {
  startedAt,
  label: values.label!,
  viewerBrowser,
  machine: `${os.cpus().length} x ${os.cpus()[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GB, Linux ${os.release()}, Node ${process.version}`,
  runs: [],
};
const vp9Done = new Map<string, SizeRun['vp9']>();

for (const engine of engines) {
  for (const [w, h] of sizes) {
    const size = `${w}x${h}`;
    process.stdout.write(`${engine} ${size}: `);
    const s = await openBenchSession(engine, w, h, values['presenter-query'], viewerBrowser);
    const run: SizeRun = {
      engine,
      size,
      classes: [],
      lateJoinMs: null,
      lateJoinSteps: null,
      vp9: {},
      problems: s.problems,
      loadAvg: os.loadavg()[0],
    };
    try {
      for (const k of classes) {
        const r = await measureClass(s, k, seconds);
        run.classes.push(r);
        process.stdout.write(`${k} ${r.viewerFps.toFixed(1)} fps, p50 ${r.latencyP50?.toFixed(0)} ms; `);
      }
      // Interleaved, so both kinds of join see the same moments of the machine.
      const joins: (LateJoinSteps | null)[] = [];
      const ownJoins: (LateJoinSteps | null)[] = [];
      if (Number(values['late-joins']) > 0) {
        const own = await launchViewerChromium();
        try {
          for (let i = 0; i < Number(values['late-joins']); i++) {
            const join = await lateJoin(s, 'windows');
            joins.push(join);
            process.stdout.write(`late join ${lateJoinText(join)}; `);
            const ownJoin = await lateJoin(s, 'windows', own);
            ownJoins.push(ownJoin);
            process.stdout.write(`own browser ${lateJoinText(ownJoin)}; `);
          }
        } finally {
          await own.close();
        }
      }
      const median = medianJoin(joins);
      run.lateJoinMs = median?.painted ?? null;
      run.lateJoinSteps = median;
      run.lateJoinsMs = joins.map((j) => j?.painted ?? null);
      const ownMedian = medianJoin(ownJoins);
      if (ownJoins.length)
        run.ownBrowserJoin = {
          ms: ownMedian?.painted ?? null,
          steps: ownMedian,
          all: ownJoins.map((j) => j?.painted ?? null),
        };
      process.stdout.write('\n');
      await screenshots(s, path.join(outDir, `${engine}-${size}`));
      // The reference depends on the content only: encode it once per size.
      if (!values['no-vp9'] && !vp9Done.has(size)) {
        const ref: SizeRun['vp9'] = {};
        for (const k of classes) ref[k] = await vp9Reference(s, k, 4);
        vp9Done.set(size, ref);
      }
      run.vp9 = vp9Done.get(size) ?? {};
    } finally {
      await s.close();
    }
    results.runs.push(run);
  }
}

/** The presenter and the viewer page while the windows class plays: what a reader of the report would look at. */
async function screenshots(s: BenchSession, prefix: string): Promise<void> {
  await s.content.evaluate(() => (window as unknown as { play(k: string): void }).play('windows'));
  // long enough for the motion region to form and settle
  await new Promise((r) => setTimeout(r, 5000));
  await s.presenter.screenshot({ path: `${prefix}-presenter.png` });
  await s.viewer.screenshot({ path: `${prefix}-viewer.png` });
  await s.content.evaluate(() => (window as unknown as { stop(): void }).stop());
}

/** The median join (a failed join counts as the slowest). */
function medianJoin(joins: (LateJoinSteps | null)[]): LateJoinSteps | null {
  const sorted = [...joins].sort(
    (a, b) => (a?.painted ?? Number.POSITIVE_INFINITY) - (b?.painted ?? Number.POSITIVE_INFINITY),
  );
  return sorted[(sorted.length - 1) >> 1] ?? null;
}

writeFileSync(path.join(outDir, 'results.json'), JSON.stringify(results, null, 2));
writeFileSync(path.join(outDir, 'report.md'), benchMarkdown(results));
const groups =
  results.runs[0]?.classes.flatMap((_, i) =>
    results.runs.filter((r) => r.engine === engines[0]).map((r) => `${r.classes[i].klass} ${r.size}`),
  ) ?? [];
const pick = (engine: string, f: (c: SizeRun['classes'][number]) => number | null) =>
  groups.map((g) => {
    const [k, size] = g.split(' ');
    const c = results.runs.find((r) => r.engine === engine && r.size === size)?.classes.find((x) => x.klass === k);
    return c ? f(c) : null;
  });
const colors = ['#2e6be4', '#e4572e', '#3a9e5c', '#8a5cc2'];
const fpsTargets = groups.map((g) =>
  g.startsWith('typing') || g.startsWith('windows') ? (g.includes('1920') ? 15 : 25) : g.includes('1280') ? 15 : null,
);
writeFileSync(
  path.join(outDir, 'fps.svg'),
  barChart(
    `Viewer painted fps per class (${results.label})`,
    groups,
    engines.map((e, i) => ({ name: e, color: colors[i], values: pick(e, (c) => c.viewerFps) })),
    'fps',
    { targets: fpsTargets },
  ),
);
writeFileSync(
  path.join(outDir, 'latency.svg'),
  barChart(
    `Glass-to-glass p50 latency (${results.label})`,
    groups,
    engines.map((e, i) => ({ name: e, color: colors[i], values: pick(e, (c) => c.latencyP50) })),
    'ms',
    { targets: groups.map((g) => (g.startsWith('typing') || g.startsWith('windows') ? 100 : null)) },
  ),
);
console.log(`\n${benchMarkdown(results)}\nwritten to ${outDir}`);
