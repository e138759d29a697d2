// `npm run bench [-- --quick] [--reps N] [--only TEXT] [--servers a,b]`: the same workload against tilecast (uWS, ws)
// and three baselines, servers shuffled inside each repetition, ratios paired per repetition. Writes bench-results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadContent } from '../loadtest/content';
import { classSeries, latencyChart } from '../loadtest/latency-chart';
import { REPO_ROOT } from '../loadtest/server-process';
import { cpuRatioChart } from './cpu-chart';
import { benchMarkdown } from './markdown';
import { type BenchPoint, DEFAULT_WARMUP_S, fullProfile, point, quickProfile } from './points';
import { benchCluster } from './cluster';
import { benchRecording } from './recording';
import type { BenchResults } from './results';
import { type LoadArgs, runOne } from './run-one';
import { benchChurn } from './sections/churn';
import { benchDensity } from './sections/density';
import { benchProfile } from './sections/profile';
import { ALL_SERVER_NAMES, FLOOR, SERVERS, SERVER_NAMES, type ServerName } from './servers';
import { shuffle } from './stats';

const USAGE = `usage: npm run bench -- [--quick] [--reps N] [--only TEXT] [--servers ${ALL_SERVER_NAMES.join(',')}] [--duration S] [--warmup S] [--out DIR]
  --quick     fewer points, one repetition, shorter memory stress (under 10 minutes)
  --only      run only points whose name contains TEXT (several with commas)
  --duration  measured window of every point but the memory stress, in seconds
  --warmup    seconds of the point's load before its window (default ${DEFAULT_WARMUP_S}, --quick 6; the memory stress keeps its own)
  --generator-workers N   viewer worker threads of the load generator (default: one per 150 viewers, <= cores)
  sections after the points (skipped with --only unless named): density, churn, profile`;

/** Tile deliveries/s offered to calibrate the ceiling: more than the generator can take. */
const CALIBRATION_OFFERED = 160_000;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    reps: { type: 'string' },
    only: { type: 'string' },
    servers: { type: 'string' },
    out: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    'generator-workers': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const profile = values.quick ? quickProfile() : fullProfile(values.reps ? Number(values.reps) : 3);
if (values.reps) profile.reps = Number(values.reps);
const wanted = values.only?.split(',');
if (wanted) profile.points = profile.points.filter((p) => wanted.some((w) => p.name.includes(w)));
/** the sections after the points run in whole-profile runs, or when --only names them */
const section = (name: string) => !wanted || wanted.includes(name);
if (values.duration) for (const p of profile.points) if (!p.memory) p.duration = Number(values.duration);
const warmup = values.warmup ? Number(values.warmup) : (profile.warmup ?? DEFAULT_WARMUP_S);
const servers = (values.servers?.split(',') ?? profile.servers ?? [...SERVER_NAMES]) as ServerName[];
const generatorWorkers = values['generator-workers'] ? Number(values['generator-workers']) : undefined;
for (const s of servers) if (!SERVERS[s]) throw new Error(`unknown server ${s}; known: ${ALL_SERVER_NAMES.join(', ')}`);
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const outDir = path.resolve(REPO_ROOT, values.out ?? path.join('bench-results', stamp));
mkdirSync(path.join(outDir, 'runs'), { recursive: true });

// the same content as the load test's defaults, rendered now so no run pays for it
const content = await loadContent({ width: 1280, height: 720, tileSize: 96, codec: 'jpeg', quality: 90 });
const content64 = await loadContent({ width: 1280, height: 720, tileSize: 64, codec: 'jpeg', quality: 90 });
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

function loadFor(p: BenchPoint, deliveriesPerSecond: number): LoadArgs & { deliveriesPerSecond: number } {
  const viewers = p.rooms * p.viewersPerRoom;
  const tiles = p.tileSize === 64 ? content64 : content;
  const rate = p.memory ? p.memory.bytesPerSecondPerStalled / tiles.meanTileBytes : deliveriesPerSecond / viewers;
  const fps = p.fps ?? Math.min(30, Math.max(5, rate / 4));
  return {
    rooms: p.rooms,
    viewers: p.viewersPerRoom,
    rate,
    fps,
    tileSize: p.tileSize ?? 96,
    generatorWorkers,
    slow: p.stalled,
    slowMode: p.slowMode,
    stallMs: p.stallMs,
    readMs: p.readMs,
    duration: p.duration,
    warmup: p.warmup ?? warmup,
    drain: p.drain,
    late: 0.1,
    deliveriesPerSecond: rate * viewers,
  };
}

const results: BenchResults = {
  profile: values.quick ? 'quick' : values.only || values.servers ? 'custom' : 'full',
  startedAt: new Date().toISOString(),
  finishedAt: '',
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGB: Math.round(os.totalmem() / 2 ** 28) / 4,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
  },
  ceilings: {},
  points: [],
  rows: [],
  sections: {},
};

// ceiling: raw uWS publish of whole frames offered more than it (or the generator) can deliver
if (profile.points.some((p) => typeof p.deliveries === 'object')) {
  // one calibration per viewer count that a ceiling point uses
  const needed = new Set(
    profile.points.filter((p) => typeof p.deliveries === 'object').map((p) => p.viewersPerRoom * p.rooms),
  );
  for (const v of [...needed].sort((a, b) => a - b)) {
    const calib: BenchPoint = {
      name: `calibrate ${v}`,
      rooms: 1,
      viewersPerRoom: v,
      deliveries: CALIBRATION_OFFERED,
      stalled: 0,
      slowMode: 'stall',
      stallMs: 0,
      readMs: 0,
      duration: 5,
      drain: 3,
      warmup: 2, // the floor (C++) has nothing to warm up
    };
    const out = await runOne(
      SERVERS[FLOOR],
      { ...loadFor(calib, CALIBRATION_OFFERED), late: 0 },
      path.join(outDir, 'runs', `calibrate-${v}.json`),
      calib.name,
    );
    if (!out.report) throw new Error(`calibration failed: ${out.error}`);
    results.ceilings[v] = {
      tilesPerSecond: out.report.totals.tilesPerSecond,
      generatorCores: out.report.generator.cores,
      generatorSaturated: out.report.generator.saturated,
    };
    log(
      `ceiling at ${v} viewers: ${out.report.totals.tilesPerSecond} tile deliveries/s (generator ${out.report.generator.cores} cores)`,
    );
  }
}
const ceilingFor = (viewers: number) => {
  const known = Object.keys(results.ceilings).map(Number);
  const nearest = known.sort((a, b) => Math.abs(a - viewers) - Math.abs(b - viewers))[0];
  return results.ceilings[nearest].tilesPerSecond;
};
for (const p of profile.points) {
  const d = p.memory
    ? 0
    : typeof p.deliveries === 'number'
      ? p.deliveries
      : p.deliveries.ceilingShare * ceilingFor(p.viewersPerRoom * p.rooms);
  const load = loadFor(p, d);
  results.points.push({
    ...p,
    deliveriesPerSecond: load.deliveriesPerSecond,
    ratePerRoom: load.rate,
    fps: load.fps,
    warmup: load.warmup,
  });
}

/**
 * One chart per point: fast viewers' latency percentiles, a line per server (median run of the repetitions); and one
 * of CPU per GB against the floor over every point.
 */
function charts(): void {
  for (const p of results.points) {
    const series = servers.flatMap((s) => {
      const runs = results.rows.filter(
        (x) => x.point === p.name && x.server === s && x.report?.classes.fast.latencyMs.count,
      );
      if (!runs.length) return [];
      const mid = runs
        .map((x) => x.report!)
        .sort((a, b) => a.classes.fast.latencyMs.p99 - b.classes.fast.latencyMs.p99)[runs.length >> 1];
      return [classSeries(s, mid.classes.fast.latencyMs)];
    });
    const file = `latency-${p.name.replace(/[^A-Za-z0-9%@.-]+/g, '_')}.svg`;
    writeFileSync(path.join(outDir, file), latencyChart(`${p.name}: fast viewers' end-to-end latency`, series));
  }
  const cpu = cpuRatioChart(results, servers);
  if (cpu) writeFileSync(path.join(outDir, 'cpu-vs-frame-publish.svg'), cpu);
}

const save = () => {
  results.finishedAt = new Date().toISOString();
  charts();
  writeFileSync(path.join(outDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(outDir, 'report.md'), `${benchMarkdown(results)}\n`);
};
for (let rep = 1; rep <= profile.reps; rep++) {
  for (const p of results.points) {
    const order = shuffle(servers);
    for (const [i, s] of order.entries()) {
      const load = loadFor(p, p.deliveriesPerSecond);
      const file = path.join(outDir, 'runs', `${p.name.replace(/[^A-Za-z0-9%@.-]+/g, '_')}-${s}-rep${rep}.json`);
      const out = await runOne(SERVERS[s], load, file, `${s} ${p.name}`);
      results.rows.push({ point: p.name, server: s, rep, order: i, report: out.report, error: out.error });
      const r = out.report;
      log(
        r
          ? `rep ${rep} ${p.name} ${s}: ${r.totals.messagesPerSecond} msg/s, ${r.server?.cpuSecondsPerGB ?? '-'} CPU-s/GB, ` +
              `fast p99 ${r.classes.fast.latencyMs.p99} ms, RSS +${r.server?.rssGrowthMB ?? '-'} MB, errors ${r.errors.total}` +
              `${r.generator.saturated ? ' (generator saturated)' : ''}`
          : `rep ${rep} ${p.name} ${s}: FAILED ${out.error}`,
      );
      save();
    }
  }
}
save();
if (section('density')) {
  log(`idle density: ${profile.densityViewers} idle viewers per server (client/bench/sections/density.ts)`);
  results.sections.density = await benchDensity({ viewers: profile.densityViewers, content, log });
  save();
}
if (section('churn')) {
  log(`churn: 500 viewer connects/s for ${profile.churnSeconds} s (client/bench/sections/churn.ts)`);
  results.sections.churn = await benchChurn({ seconds: profile.churnSeconds, perSecond: 500, content, log });
  save();
}
if (section('profile')) {
  const p = point(1000, 25_000, 0, values.duration ? Number(values.duration) : profile.quick ? 5 : 10);
  log(`profile: tilecast-uws under --cpu-prof at ${p.name} (client/bench/sections/profile.ts)`);
  results.sections.profile = await benchProfile({
    server: 'tilecast-uws',
    point: p.name,
    load: loadFor(p, 25_000),
    outDir,
    repoRoot: REPO_ROOT,
    log,
  });
  save();
}
// Recording: seek time (1 min vs 1 h) and chunk serving against `cat`, part of every whole-profile run.
let recordingSection = '';
if (!values.only && !values.servers) {
  log('recording: seek and serve bench (client/bench/recording.ts)');
  const recording = await benchRecording({ log });
  writeFileSync(path.join(outDir, 'recording.json'), `${JSON.stringify(recording, null, 2)}\n`);
  recordingSection = `\n### Recording seek and serving\n\n\`\`\`json\n${JSON.stringify(recording, null, 2)}\n\`\`\`\n`;
  writeFileSync(path.join(outDir, 'report.md'), `${benchMarkdown(results)}\n${recordingSection}`);
  // Cluster: one bus hop's added latency, CPU per GB on a replica and in Redis, resync times (client/bench/cluster.ts).
  log('cluster: origin + replica over a private redis-server (client/bench/cluster.ts)');
  const cluster = await benchCluster({ seconds: values.quick ? 5 : 15, log });
  writeFileSync(path.join(outDir, 'cluster.json'), `${JSON.stringify(cluster, null, 2)}\n`);
  recordingSection += `\n### Cluster (one bus hop)\n\n\`\`\`json\n${JSON.stringify(cluster, null, 2)}\n\`\`\`\n`;
  writeFileSync(path.join(outDir, 'report.md'), `${benchMarkdown(results)}\n${recordingSection}`);
}
log(`wrote ${path.relative(REPO_ROOT, outDir)}/report.md and results.json`);
console.log(`\n${benchMarkdown(results)}${recordingSection}`);
