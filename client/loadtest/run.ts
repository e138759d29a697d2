// One load-test run: content ahead of time, target, presenters, viewers (slow ones and late joiners), a measured
// window, a drain in which slow viewers read again, then the report.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadContent } from './content';
import { ErrorLog, TargetError } from './errors';
import { type FrameSource, RateSource, TimelineSource } from './frame-source';
import type { LoadTestOptions } from './options';
import { Presenter } from './presenter';
import { Progress } from './progress';
import { PROTOCOLS, type RoomTarget } from './protocols';
import { readProc, selfCpuSeconds } from './proc-stats';
import type { LoadTestReport } from './report';
import { Sampler } from './sampler';
import { SlowReader } from './slow-reader';
import { summarize, type RunState } from './summarize';
import { resolveTarget } from './target';
import { Viewer } from './viewer';
import { ClassStats, type ViewerClass, VIEWER_CLASSES } from './viewer-stats';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CONNECT_BATCH = 100;

export async function runLoadTest(o: LoadTestOptions, showProgress = false): Promise<LoadTestReport> {
  const startedAt = new Date().toISOString();
  const protocol = PROTOCOLS[o.protocol];
  const content = await loadContent({ width: o.screen[0], height: o.screen[1], tileSize: o.tileSize, codec: o.codec, quality: o.quality });
  const target = await resolveTarget(o);
  const errors = new ErrorLog();
  const stats = Object.fromEntries(VIEWER_CLASSES.map((c) => [c, new ClassStats()])) as Record<ViewerClass, ClassStats>;
  const viewers: Viewer[] = [];
  const presenters: Presenter[] = [];
  const slowReaders: SlowReader[] = [];
  const timers: NodeJS.Timeout[] = [];
  const progress = new Progress(showProgress, o.warmup + o.duration + o.drain);
  try {
    const rooms: RoomTarget[] = [];
    for (let r = 0; r < o.rooms; r++) rooms.push(await protocol.createRoom(target.httpBase, r, o.adminToken).catch(setupFailed));
    const framesPerSecond = o.fps;
    for (const [r, room] of rooms.entries()) {
      const source: FrameSource = o.rate
        ? new RateSource(content, o.rate / framesPerSecond, r * 13)
        : new TimelineSource(content, r * 7);
      presenters.push(new Presenter(room, protocol, content, source, framesPerSecond, (k, m) => errors.add(k, m)));
    }
    await Promise.all(presenters.map((p) => p.connect())).catch(setupFailed);
    for (const p of presenters) p.start();

    const perRoom = plan(o);
    let nextId = 0;
    const addViewer = (room: RoomTarget, cls: ViewerClass) =>
      new Promise<Viewer>((resolve) => {
        const v = new Viewer(nextId++, cls, room, protocol, content.geometry, stats[cls], { error: (k, m) => errors.add(k, m) }, resolve);
        viewers.push(v);
      });
    const initial: { room: RoomTarget; cls: ViewerClass }[] = [];
    for (const room of rooms) {
      for (let i = 0; i < perRoom.fast; i++) initial.push({ room, cls: 'fast' });
      for (let i = 0; i < perRoom.slow; i++) initial.push({ room, cls: 'slow' });
    }
    progress.phase('connecting', 0);
    for (let i = 0; i < initial.length; i += CONNECT_BATCH) {
      const batch = await Promise.all(initial.slice(i, i + CONNECT_BATCH).map((v) => addViewer(v.room, v.cls)));
      if (i === 0 && batch.every((v) => !v.ready))
        throw new TargetError(`every viewer failed to connect: ${errors.samples[errors.samples.length - 1] ?? 'unknown'}`);
    }
    const heartbeat = setInterval(() => viewers.forEach((v) => v.heartbeat()), 5000);
    timers.push(heartbeat);

    const sampler = new Sampler(target.pid, () => viewers.reduce((n, v) => n + v.counters.messages, 0), (s, prev) => {
      if (!prev) return;
      const dt = (s.at - prev.at) / 1000;
      const cores = s.proc && prev.proc ? (s.proc.cpuSeconds - prev.proc.cpuSeconds) / dt : null;
      progress.update({
        viewers: viewers.filter((v) => v.open).length,
        rate: Math.round((s.messages - prev.messages) / dt),
        p99: stats.fast.percentiles().p99,
        cores,
        rssMB: s.proc ? s.proc.rssBytes / 2 ** 20 : null,
      });
    });
    sampler.start();
    const runStart = performance.now();
    progress.phase('warmup', 0);
    await sleep(o.warmup * 1000);

    // measured window
    const windowStart = sampler.sample();
    sampler.armed = true;
    const selfCpuStart = selfCpuSeconds();
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const countersAtStart = viewers.map((v) => ({ ...v.counters }));
    for (const s of VIEWER_CLASSES) stats[s].recording = true;
    for (const v of viewers) {
      if (v.cls !== 'slow' || !v.open) continue;
      const slow = new SlowReader(v.ws, { mode: o.slowMode, stallMs: o.stallMs, readMs: o.readMs, capBytesPerSecond: o.capKbps * 1024 });
      v.onBytes = (n) => slow.onBytes(n);
      slowReaders.push(slow);
      slow.start();
    }
    for (const room of rooms)
      for (let i = 0; i < perRoom.late; i++) {
        const at = o.duration * (0.1 + (0.6 * (i + 0.5)) / perRoom.late);
        timers.push(setTimeout(() => void addViewer(room, 'late'), at * 1000));
      }
    if (o.dropPresenter) {
      const [at, forSeconds] = o.dropPresenter;
      timers.push(setTimeout(() => presenters.forEach((p) => p.dropFor(forSeconds * 1000)), at * 1000));
    }
    const windowMs = o.duration * 1000;
    const windowT0 = performance.now();
    while (performance.now() - windowT0 < windowMs) {
      progress.phase('measuring', (performance.now() - runStart) / 1000);
      await sleep(Math.min(500, windowMs - (performance.now() - windowT0)));
    }
    const windowEnd = sampler.sample();
    sampler.armed = false;
    const selfCpuEnd = selfCpuSeconds();
    loopDelay.disable();
    for (const s of VIEWER_CLASSES) stats[s].recording = false;
    const countersAtEnd = viewers.map((v) => ({ ...v.counters }));
    for (const p of presenters) p.stop();
    for (const t of timers) clearTimeout(t);

    // drain: slow viewers read again until every picture matches the presenter's, or nothing moves
    for (const s of slowReaders) s.stop();
    const drainStart = performance.now();
    const sentFor = new Map(presenters.map((p) => [p.room.id, p.sentSeq]));
    while ((performance.now() - drainStart) / 1000 < o.drain) {
      progress.phase('draining', (performance.now() - runStart) / 1000);
      await sleep(200);
      const live = viewers.filter((v) => v.open);
      const allConverged = protocol.name === 'tilecast' && live.every((v) => v.differences(sentFor.get(v.room.id)!) === 0);
      const quiet = live.every((v) => performance.now() + performance.timeOrigin - v.lastReceiveAt > 1500);
      if (allConverged || quiet) break;
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;
    await sleep(300);
    const afterDrain = target.pid ? readProc(target.pid) : null;
    sampler.stop();
    progress.stop();
    clearInterval(heartbeat);

    const state: RunState = {
      o, startedAt, target, content, protocolName: protocol.name, presenters, viewers, stats, errors, sampler,
      windowStart, windowEnd, countersAtStart, countersAtEnd, selfCpu: selfCpuEnd - selfCpuStart, afterDrain, drainSeconds,
      windowSeconds: (windowEnd.at - windowStart.at) / 1000,
      loopDelay,
    };
    return summarize(state);
  } finally {
    progress.stop();
    for (const t of timers) clearTimeout(t);
    for (const s of slowReaders) s.stop();
    for (const v of viewers) v.close();
    for (const p of presenters) p.close();
    await sleep(200);
    await target.local?.stop();
  }
}

function plan(o: LoadTestOptions): { fast: number; slow: number; late: number } {
  const slow = Math.round(o.viewers * o.slow);
  const late = Math.min(Math.round(o.viewers * o.late), o.viewers - slow);
  return { fast: o.viewers - slow - late, slow, late };
}

function setupFailed(err: Error): never {
  throw new TargetError(err.message);
}
