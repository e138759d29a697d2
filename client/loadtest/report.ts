// The result of one load-test run: what the JSON file holds and the table and chart are drawn from.
import type { LoadTestOptions } from './options';
import type { ViewerClass } from './viewer-stats';

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export interface ClassReport {
  viewers: number;
  /** viewers still connected at the end */
  connected: number;
  /** end-to-end latency (presenter capture -> sync receipt), ms, measured in the window */
  latencyMs: LatencySummary;
  framesPerSecondPerViewer: number;
  messagesPerSecond: number;
  tilesPerSecond: number;
  mbPerSecond: number;
  /** tiles the server reported coalesced (never sent because a newer one replaced it), over the run */
  skippedTiles: number;
  skippedPerViewer: { mean: number; max: number };
  /** frames whose sync never arrived */
  syncGaps: number;
  /** tile updates received / offered (presenter tiles after the viewer's first sync), after drain */
  deliveryRatio: number | null;
  /** presenter tile updates after each viewer's first sync, summed over the class */
  offeredTiles: number;
  /** offered - received - reported coalesced: updates that vanished silently */
  lostTiles: number;
  /** viewers whose final picture equals the presenter's last sent version of every tile */
  converged: number;
  maxDifferences: number;
}

export interface LoadTestReport {
  tool: 'tilecast-loadtest';
  version: 1;
  label: string;
  startedAt: string;
  options: Omit<LoadTestOptions, 'adminToken'>;
  machine: { cpus: number; cpuModel: string; memoryGB: number; kernel: string; node: string };
  target: { url: string; protocol: string; engine: string | null; serverPid: number | null; startedLocally: boolean };
  windowSeconds: number;
  content: { screen: string; tileSize: number; codec: string; meanTileBytes: number };
  presenter: {
    rooms: number;
    frames: number;
    tiles: number;
    tilesPerSecond: number;
    mbPerSecond: number;
    skippedFrames: number;
    lateTicks: number;
    drops: number;
    resumes: number;
  };
  classes: Record<ViewerClass, ClassReport>;
  totals: {
    viewers: number;
    messages: number;
    tiles: number;
    bytes: number;
    messagesPerSecond: number;
    tilesPerSecond: number;
    mbPerSecond: number;
    /** presenter tiles/s x viewers: what full delivery would be */
    offeredTilesPerSecond: number;
    deliveryRatio: number | null;
  };
  lateJoin: {
    count: number;
    withFullPicture: number;
    p50Ms: number | null;
    p99Ms: number | null;
    maxMs: number | null;
    /** every joiner's time to its first full picture, in join order (-1: never) */
    timesMs: number[];
  };
  convergence: { checked: number; converged: number; drainSeconds: number };
  server: {
    cpuSeconds: number;
    cores: number;
    cpuSecondsPerGB: number | null;
    rssStartMB: number;
    rssPeakMB: number;
    rssEndMB: number;
    rssAfterDrainMB: number;
    /** peak over the window minus the window's start */
    rssGrowthMB: number;
    /** the server before the run's rooms and viewers, and the peak over it (joiners' first pictures included) */
    rssIdleMB: number | null;
    rssGrowthFromIdleMB: number | null;
  } | null;
  kernelTcpMemMB: { start: number; peak: number; end: number } | null;
  /**
   * The load generator itself (presenters on the main thread, viewers on `workers` worker threads). A busy thread or
   * a late event loop means the generator's own stalls are inside the latency figures (`saturated`, `loopDelayed`).
   */
  generator: {
    cpuSeconds: number;
    cores: number;
    workers: number;
    /** the busiest thread's event-loop utilization over the window (1 = never idle) */
    maxThreadUtilization: number;
    /** how late the worst thread's event loop ran, in ms beyond its timer's period (see loop-lateness.ts) */
    eventLoopLateMs: { p99: number; max: number };
    /** CPU the whole machine used over the window (server, generator and anything else), of `machineCores`: shown
     * next to every figure, not a saturation test (at a ceiling the server is meant to use what is left) */
    machineBusyCores: number | null;
    machineCores: number;
    /** a generator thread was out of CPU: the generator, not the server, may have been the limit */
    saturated: boolean;
    /** why it counts as saturated, empty when it is not */
    limits: string[];
    /** a generator thread's event loop ran late (p99 over GENERATOR_LOOP_LATE_P99_MS), usually because the machine
     * was short of CPU: latency figures carry that delay, throughput and CPU figures do not */
    loopDelayed: boolean;
  };
  errors: { total: number; byKind: Record<string, number>; samples: string[] };
  timeline: {
    t: number;
    messagesPerSecond: number;
    serverCores: number | null;
    serverRssMB: number | null;
    tcpMemMB: number | null;
  }[];
}

/** Above this event-loop utilization of any generator thread, the generator, not the server, may be the limit. */
export const GENERATOR_SATURATION = 0.85;
/** A generator thread whose event loop is this late (p99, ms) delays the latencies it measures by as much. */
export const GENERATOR_LOOP_LATE_P99_MS = 10;
