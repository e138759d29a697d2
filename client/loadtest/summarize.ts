// Turns the raw state of a finished run into the report: per-class rates from window snapshots, delivery and
// convergence after the drain, server CPU per delivered GB, generator load.
import os from 'node:os';
import * as hdr from 'hdr-histogram-js';
import type { Content } from './content';
import type { ErrorLog } from './errors';
import type { LoadTestOptions } from './options';
import type { Presenter } from './presenter';
import type { ProcSample } from './proc-stats';
import { type ClassReport, GENERATOR_LOOP_LATE_P99_MS, GENERATOR_SATURATION, type LoadTestReport } from './report';
import type { Sample, Sampler } from './sampler';
import type { Target } from './target';
import type { ThreadLoad, ViewerSnapshot } from './generator-messages';
import {
  type ClassStats,
  type ViewerClass,
  type ViewerCounters,
  VIEWER_CLASSES,
  addCounters,
  zeroCounters,
} from './viewer-stats';

export interface RunState {
  o: LoadTestOptions;
  startedAt: string;
  target: Target;
  content: Content;
  protocolName: string;
  presenters: Presenter[];
  viewers: ViewerSnapshot[];
  stats: Record<ViewerClass, ClassStats>;
  errors: ErrorLog;
  sampler: Sampler;
  windowStart: Sample;
  windowEnd: Sample;
  countersAtStart: (ViewerCounters | undefined)[];
  countersAtEnd: (ViewerCounters | undefined)[];
  selfCpu: number;
  machineBusyCores: number | null;
  /** the server before the run's rooms and viewers existed */
  idle: ProcSample | null;
  afterDrain: ProcSample | null;
  drainSeconds: number;
  windowSeconds: number;
  /** each generator thread's load over the window */
  threads: { main: ThreadLoad; workers: ThreadLoad[] };
}

const MB = 2 ** 20;
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Cells whose tile differs from the presenter's record of what it last sent (0 = converged). */
function differences(v: ViewerSnapshot, sentSeq: Int32Array): number {
  let diff = 0;
  for (let i = 0; i < sentSeq.length; i++) if (v.grid[i] !== sentSeq[i]) diff++;
  return diff;
}

function generatorReport(s: RunState, secs: number): LoadTestReport['generator'] {
  const threads = [s.threads.main, ...s.threads.workers];
  const maxUtil = Math.max(...threads.map((t) => t.utilization));
  const p99 = Math.max(...threads.map((t) => t.loopLateMs.p99));
  const max = Math.max(...threads.map((t) => t.loopLateMs.max));
  const machineCores = os.availableParallelism();
  const limits: string[] = [];
  if (maxUtil > GENERATOR_SATURATION)
    limits.push(`a generator thread was busy ${Math.round(maxUtil * 100)}% of the window`);
  return {
    cpuSeconds: round(s.selfCpu),
    cores: round(s.selfCpu / secs, 3),
    workers: s.threads.workers.length,
    maxThreadUtilization: round(maxUtil, 3),
    eventLoopLateMs: { p99: round(p99, 1), max: round(max, 1) },
    machineBusyCores: s.machineBusyCores === null ? null : round(s.machineBusyCores),
    machineCores,
    saturated: limits.length > 0,
    limits,
    loopDelayed: p99 > GENERATOR_LOOP_LATE_P99_MS,
  };
}

function classReport(s: RunState, cls: ViewerClass): ClassReport {
  const secs = s.windowSeconds;
  const members = s.viewers.map((v, i) => ({ v, i })).filter(({ v }) => v.cls === cls);
  const inWindow = zeroCounters();
  for (const { v, i } of members) {
    addCounters(inWindow, s.countersAtEnd[i] ?? v.counters);
    if (s.countersAtStart[i]) addCounters(inWindow, s.countersAtStart[i], -1);
  }
  const bySender = new Map(s.presenters.map((p) => [p.room.id, p]));
  let offered = 0;
  let received = 0;
  let coalesced = 0;
  let converged = 0;
  let maxDifferences = 0;
  const skippedPer: number[] = [];
  for (const { v } of members) {
    const p = bySender.get(v.roomId)!;
    skippedPer.push(v.counters.skipped);
    if (!v.open || v.firstSyncSeq < 0) continue;
    offered += (p.tilesThroughSeq[p.seq] ?? 0) - (p.tilesThroughSeq[v.firstSyncSeq] ?? 0);
    received += v.counters.tiles - v.tilesAtFirstSync;
    coalesced += v.counters.skipped - v.skippedAtFirstSync;
    const diff = differences(v, p.sentSeq);
    if (diff === 0) converged++;
    maxDifferences = Math.max(maxDifferences, diff);
  }
  return {
    viewers: members.length,
    connected: members.filter(({ v }) => v.open).length,
    latencyMs: s.stats[cls].percentiles(),
    framesPerSecondPerViewer: members.length ? round(inWindow.syncs / secs / members.length) : 0,
    messagesPerSecond: round(inWindow.messages / secs, 0),
    tilesPerSecond: round(inWindow.tiles / secs, 0),
    mbPerSecond: round(inWindow.bytes / secs / MB),
    skippedTiles: skippedPer.reduce((a, b) => a + b, 0),
    skippedPerViewer: {
      mean: skippedPer.length ? round(skippedPer.reduce((a, b) => a + b, 0) / skippedPer.length, 1) : 0,
      max: skippedPer.length ? Math.max(...skippedPer) : 0,
    },
    syncGaps: inWindow.syncGaps,
    deliveryRatio: offered > 0 ? round(received / offered, 4) : null,
    offeredTiles: offered,
    lostTiles: Math.max(0, offered - received - coalesced),
    converged,
    maxDifferences,
  };
}

export function summarize(s: RunState): LoadTestReport {
  const { o, windowStart: a, windowEnd: b } = s;
  const secs = s.windowSeconds;
  const classes = Object.fromEntries(VIEWER_CLASSES.map((c) => [c, classReport(s, c)])) as Record<
    ViewerClass,
    ClassReport
  >;
  const total = zeroCounters();
  s.countersAtEnd.forEach((c) => c && addCounters(total, c));
  s.countersAtStart.forEach((c) => c && addCounters(total, c, -1));
  const pc = s.presenters.reduce(
    (t, p) => ({
      frames: t.frames + p.counters.frames,
      tiles: t.tiles + p.counters.tiles,
      bytes: t.bytes + p.counters.bytes,
      skippedFrames: t.skippedFrames + p.counters.skippedFrames,
      lateTicks: t.lateTicks + p.counters.lateTicks,
      drops: t.drops + p.drops,
      resumes: t.resumes + p.resumes,
    }),
    { frames: 0, tiles: 0, bytes: 0, skippedFrames: 0, lateTicks: 0, drops: 0, resumes: 0 },
  );
  const runSeconds = Math.max(secs, (b.at - (s.sampler.samples[0]?.at ?? a.at)) / 1000);
  const presenterTilesPerSecond = pc.tiles / runSeconds;
  const offeredPerViewerRoom = presenterTilesPerSecond / s.presenters.length;
  const late = s.viewers.filter((v) => v.cls === 'late');
  const lateTimes = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000,
    numberOfSignificantValueDigits: 3,
  });
  for (const v of late)
    if (v.firstFullPictureMs >= 0) lateTimes.recordValue(Math.max(1, Math.round(v.firstFullPictureMs)));
  let offered = 0;
  let delivered = 0;
  for (const c of Object.values(classes))
    if (c.deliveryRatio !== null) {
      delivered += c.deliveryRatio * c.viewers;
      offered += c.viewers;
    }
  const server =
    a.proc && b.proc
      ? {
          cpuSeconds: round(b.proc.cpuSeconds - a.proc.cpuSeconds),
          cores: round((b.proc.cpuSeconds - a.proc.cpuSeconds) / secs, 3),
          cpuSecondsPerGB:
            total.bytes > 0 ? round((b.proc.cpuSeconds - a.proc.cpuSeconds) / (total.bytes / 2 ** 30), 3) : null,
          rssStartMB: round(a.proc.rssBytes / MB, 1),
          rssPeakMB: round(Math.max(s.sampler.peakRss, b.proc.rssBytes) / MB, 1),
          rssEndMB: round(b.proc.rssBytes / MB, 1),
          rssAfterDrainMB: round((s.afterDrain?.rssBytes ?? b.proc.rssBytes) / MB, 1),
          rssGrowthMB: round((Math.max(s.sampler.peakRss, b.proc.rssBytes) - a.proc.rssBytes) / MB, 1),
          rssIdleMB: s.idle ? round(s.idle.rssBytes / MB, 1) : null,
          rssGrowthFromIdleMB: s.idle
            ? round((Math.max(s.sampler.peakRss, b.proc.rssBytes) - s.idle.rssBytes) / MB, 1)
            : null,
        }
      : null;
  const tcp =
    a.tcpMem !== null && b.tcpMem !== null
      ? {
          start: round(a.tcpMem / MB, 1),
          peak: round(Math.max(s.sampler.peakTcpMem, b.tcpMem) / MB, 1),
          end: round(b.tcpMem / MB, 1),
        }
      : null;
  const samples = s.sampler.samples;
  const t0 = samples[0]?.at ?? 0;
  const { adminToken: _omit, ...options } = o;
  const checked = s.viewers.filter((v) => v.open && v.cls === 'slow');
  return {
    tool: 'tilecast-loadtest',
    version: 1,
    label: o.label ?? `${s.protocolName}${s.target.engine ? `-${s.target.engine}` : ''}`,
    startedAt: s.startedAt,
    options,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGB: round(os.totalmem() / 2 ** 30, 1),
      kernel: `${os.type()} ${os.release()}`,
      node: process.version,
    },
    target: {
      url: s.target.httpBase,
      protocol: s.protocolName,
      engine: s.target.engine,
      serverPid: s.target.pid,
      startedLocally: !!s.target.local,
    },
    windowSeconds: round(secs),
    content: {
      screen: `${o.screen[0]}x${o.screen[1]}`,
      tileSize: o.tileSize,
      codec: o.codec,
      meanTileBytes: Math.round(s.content.meanTileBytes),
    },
    presenter: {
      rooms: s.presenters.length,
      ...pc,
      tilesPerSecond: round(presenterTilesPerSecond, 1),
      mbPerSecond: round(pc.bytes / runSeconds / MB),
    },
    classes,
    totals: {
      viewers: s.viewers.length,
      messages: total.messages,
      tiles: total.tiles,
      bytes: total.bytes,
      messagesPerSecond: round(total.messages / secs, 0),
      tilesPerSecond: round(total.tiles / secs, 0),
      mbPerSecond: round(total.bytes / secs / MB),
      offeredTilesPerSecond: round(offeredPerViewerRoom * o.viewers * s.presenters.length, 0),
      deliveryRatio: offered > 0 ? round(delivered / offered, 4) : null,
    },
    lateJoin: {
      count: late.length,
      withFullPicture: lateTimes.totalCount,
      p50Ms: lateTimes.totalCount ? lateTimes.getValueAtPercentile(50) : null,
      p99Ms: lateTimes.totalCount ? lateTimes.getValueAtPercentile(99) : null,
      maxMs: lateTimes.totalCount ? lateTimes.maxValue : null,
      timesMs: late.map((v) => Math.round(v.firstFullPictureMs)),
    },
    convergence: {
      checked: checked.length,
      converged: checked.filter((v) => differences(v, s.presenters.find((p) => p.room.id === v.roomId)!.sentSeq) === 0)
        .length,
      drainSeconds: round(s.drainSeconds),
    },
    server,
    kernelTcpMemMB: tcp,
    generator: generatorReport(s, secs),
    errors: { total: s.errors.total, byKind: s.errors.byKind, samples: s.errors.samples },
    timeline: samples.slice(1).map((x, i) => {
      const prev = samples[i];
      const dt = (x.at - prev.at) / 1000;
      return {
        t: round((x.at - t0) / 1000, 1),
        messagesPerSecond: Math.round((x.messages - prev.messages) / dt),
        serverCores: x.proc && prev.proc ? round((x.proc.cpuSeconds - prev.proc.cpuSeconds) / dt, 3) : null,
        serverRssMB: x.proc ? round(x.proc.rssBytes / MB, 1) : null,
        tcpMemMB: x.tcpMem === null ? null : round(x.tcpMem / MB, 1),
      };
    }),
  };
}
