// The browser bench's results as markdown: one row per engine, size and class, next to the VP9 reference.
import type { ClassResult, LateJoinSteps, Vp9Result } from './measure';

export interface SizeRun {
  engine: string;
  size: string;
  classes: ClassResult[];
  lateJoinMs: number | null;
  /** where the late join's time went (absent in results written before it was recorded) */
  lateJoinSteps?: LateJoinSteps | null;
  /** every late join's time to the picture, when the run made several (`lateJoinMs` is their median) */
  lateJoinsMs?: (number | null)[];
  /** the same joins from a browser of their own, as a viewer on another machine (absent in older results) */
  ownBrowserJoin?: { ms: number | null; steps: LateJoinSteps | null; all: (number | null)[] };
  vp9: Record<string, Vp9Result | null>;
  problems: string[];
  /** 1-minute load average when the run started: other work on a shared machine moves every number */
  loadAvg?: number;
}

export interface BrowserBenchResults {
  startedAt: string;
  label: string;
  machine: string;
  /** where the measured viewer ran: the presenter's browser, or one of its own (absent in older results: same) */
  viewerBrowser?: 'same' | 'own';
  runs: SizeRun[];
}

const n = (x: number | null | undefined, digits = 0) =>
  x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits);
const kb = (bytes: number | undefined) => (bytes === undefined ? '–' : `${(bytes / 1024).toFixed(0)}`);

export function resultsTable(runs: SizeRun[]): string {
  const rows = [
    '| engine | size | class | content fps | viewer fps | g2g p50 / p95 ms | presenter fps | motion fps (encode ms) | tiles/frame | KB/s tilecast | KB/s VP9 ref | presenter cores | browser cores | long tasks >50 ms (max ms) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const run of runs) {
    for (const c of run.classes) {
      const ref = run.vp9[c.klass];
      rows.push(
        `| ${run.engine} | ${c.width}x${c.height} | ${c.klass} | ${n(c.contentFps)} | ${n(c.viewerFps, 1)} | ${n(c.latencyP50)} / ${n(c.latencyP95)} | ${n(c.presenterFps, 1)} | ${n(c.motionFps, 1)} (${n(c.motionEncodeMs)}) | ${n(c.tilesPerFrame, 0)} | ${kb(c.presenterBytesPerSecond)} | ${ref ? kb(ref.bytesPerSecond) : '–'} | ${n(c.presenterCores, 2)} | ${n(c.browserCores, 2)} | ${c.longTasks} (${n(c.longestTaskMs)}) |`,
      );
    }
  }
  return rows.join('\n');
}

/** "1234 ms (DOM 200, open 300, binary 350..900 (12 msgs))": ms from navigation start. */
export function lateJoinText(j: LateJoinSteps | null | undefined): string {
  if (!j) return '– ms';
  return `${n(j.painted)} ms (DOM ${n(j.dom)}, open ${n(j.open)}, binary ${n(j.firstBinary)}..${n(j.lastBinary)} (${j.binaryMessages} msgs))`;
}

export function benchMarkdown(r: BrowserBenchResults): string {
  const late = r.runs
    .map(
      (run) =>
        `${run.engine} ${run.size}: ${run.lateJoinSteps ? lateJoinText(run.lateJoinSteps) : `${n(run.lateJoinMs)} ms`}`,
    )
    .join(' · ');
  const own = r.runs
    .filter((run) => run.ownBrowserJoin)
    .map((run) => `${run.engine} ${run.size}: ${lateJoinText(run.ownBrowserJoin!.steps)}`)
    .join(' · ');
  const load = r.runs.map((run) => `${run.engine} ${run.size}: ${n(run.loadAvg, 1)}`).join(' · ');
  const vp9 = r.runs.flatMap((run) =>
    Object.entries(run.vp9)
      .filter(([, v]) => v)
      .map(
        ([k, v]) =>
          `${run.size} ${k}: ${v!.mode}${v!.mode === 'quantizer' ? ` ${v!.quantizer}` : ''}, encode p50 ${n(v!.encodeMsP50, 1)} ms`,
      ),
  );
  const problems = r.runs.flatMap((run) => run.problems.map((p) => `- ${run.engine} ${run.size}: ${p}`));
  return [
    `# tilecast browser bench (${r.label})`,
    '',
    `${r.startedAt} · ${r.machine} · viewer in ${r.viewerBrowser === 'own' ? 'a browser of its own' : "the presenter's browser"}`,
    '',
    resultsTable(r.runs),
    '',
    `Load average at the start of each run (2 cores): ${load}`,
    '',
    `Late joiner (viewer page navigation -> first full picture painted, windows class playing; median), in the presenter's browser: ${late}`,
    '',
    ...(own ? [`Late joiner in a browser of its own (as on a viewer's machine; same cores): ${own}`, ''] : []),
    `VP9 reference (WebCodecs, realtime, software, same content in a page of its own): ${[...new Set(vp9)].join('; ')}`,
    '',
    problems.length ? `Page problems:\n${problems.join('\n')}` : 'No page errors.',
    '',
  ].join('\n');
}
