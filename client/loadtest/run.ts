// One load-test run: content ahead of time, target, presenters (main thread), viewers on worker threads (slow ones
// and late joiners), a measured window, a drain in which slow viewers read again, then the report.
import { performance } from 'node:perf_hooks';
import { loadContent } from './content';
import { ErrorLog, TargetError } from './errors';
import { loopLateness, loopMonitor } from './loop-lateness';
import { type FrameSource, RateSource, TimelineSource } from './frame-source';
import type { LoadTestOptions } from './options';
import { Presenter } from './presenter';
import { Progress } from './progress';
import { PROTOCOLS, type RoomTarget } from './protocols';
import type { ViewerSpec } from './generator-messages';
import { readMachineCpu, readProc, selfCpuSeconds } from './proc-stats';
import type { LoadTestReport } from './report';
import { Sampler } from './sampler';
import { summarize, type RunState } from './summarize';
import { resolveTarget } from './target';
import { ViewerPool, defaultWorkers } from './viewer-pool';
import { ClassStats, type ViewerClass, VIEWER_CLASSES } from './viewer-stats';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CONNECT_BATCH = 100;

export async function runLoadTest(o: LoadTestOptions, showProgress = false): Promise<LoadTestReport> {
  const startedAt = new Date().toISOString();
  const protocol = PROTOCOLS[o.protocol];
  const content = await loadContent({
    width: o.screen[0],
    height: o.screen[1],
    tileSize: o.tileSize,
    codec: o.codec,
    quality: o.quality,
  });
  const target = await resolveTarget(o);
  // the server before this run's rooms and viewers: memory growth counts the first pictures too
  const idle = target.pid ? readProc(target.pid) : null;
  const errors = new ErrorLog();
  const stats = Object.fromEntries(VIEWER_CLASSES.map((c) => [c, new ClassStats()])) as Record<ViewerClass, ClassStats>;
  const presenters: Presenter[] = [];
  let pool: ViewerPool | null = null;
  const timers: NodeJS.Timeout[] = [];
  const progress = new Progress(showProgress, o.warmup + o.duration + o.drain);
  try {
    const rooms: RoomTarget[] = [];
    for (let r = 0; r < o.rooms; r++)
      rooms.push(await protocol.createRoom(target.httpBase, r, o.adminToken).catch(setupFailed));
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
    const slowOptions = { mode: o.slowMode, stallMs: o.stallMs, readMs: o.readMs, capBytesPerSecond: o.capKbps * 1024 };
    pool = new ViewerPool(
      o.generatorWorkers ?? defaultWorkers(o.rooms * o.viewers),
      protocol.name,
      !o.noAcks,
      content.geometry,
      slowOptions,
    );
    let nextId = 0;
    const spec = (room: RoomTarget, cls: ViewerClass): ViewerSpec => ({ id: nextId++, cls, room });
    const initial: ViewerSpec[] = [];
    for (const room of rooms) {
      for (let i = 0; i < perRoom.fast; i++) initial.push(spec(room, 'fast'));
      for (let i = 0; i < perRoom.slow; i++) initial.push(spec(room, 'slow'));
    }
    progress.phase('connecting', 0);
    // a batch per worker round, so connects are spread but never a thundering herd
    const batchSize = CONNECT_BATCH * pool.size;
    for (let i = 0; i < initial.length; i += batchSize) {
      const r = await pool.add(initial.slice(i, i + batchSize));
      if (i === 0 && r.ready === 0)
        throw new TargetError(`every viewer failed to connect: ${r.lastError ?? 'unknown'}`);
    }
    const viewerPool = pool;

    const sampler = new Sampler(
      target.pid,
      () => viewerPool.liveFigures().messages,
      (s, prev) => {
        if (!prev) return;
        const dt = (s.at - prev.at) / 1000;
        const cores = s.proc && prev.proc ? (s.proc.cpuSeconds - prev.proc.cpuSeconds) / dt : null;
        progress.update({
          viewers: viewerPool.liveFigures().open,
          rate: Math.round((s.messages - prev.messages) / dt),
          p99: 0,
          cores,
          rssMB: s.proc ? s.proc.rssBytes / 2 ** 20 : null,
        });
      },
    );
    sampler.start();
    const runStart = performance.now();
    progress.phase('warmup', 0);
    await sleep(o.warmup * 1000);

    // measured window
    const windowStart = sampler.sample();
    sampler.armed = true;
    const selfCpuStart = selfCpuSeconds();
    const machineStart = readMachineCpu();
    const loop = loopMonitor();
    loop.enable();
    const mainElu = performance.eventLoopUtilization();
    pool.startWindow();
    for (const room of rooms)
      for (let i = 0; i < perRoom.late; i++) {
        const at = o.duration * (0.1 + (0.6 * (i + 0.5)) / perRoom.late);
        timers.push(setTimeout(() => void viewerPool.add([spec(room, 'late')]), at * 1000));
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
    const machineEnd = readMachineCpu();
    loop.disable();
    const mainLoad = {
      utilization: performance.eventLoopUtilization(mainElu).utilization,
      loopLateMs: loopLateness(loop),
    };
    await pool.endWindow(stats);
    for (const p of presenters) p.stop();
    for (const t of timers) clearTimeout(t);

    // drain: slow viewers read again until every picture matches the presenter's, or nothing moves
    const sentSeq = Object.fromEntries(presenters.map((p) => [p.room.id, p.sentSeq]));
    pool.drain(sentSeq);
    const drainStart = performance.now();
    while ((performance.now() - drainStart) / 1000 < o.drain) {
      progress.phase('draining', (performance.now() - runStart) / 1000);
      await sleep(200);
      const check = await pool.drainCheck(sentSeq);
      if (check.converged || check.quietMs > 1500) break;
    }
    const drainSeconds = (performance.now() - drainStart) / 1000;
    await sleep(300);
    const afterDrain = target.pid ? readProc(target.pid) : null;
    sampler.stop();
    progress.stop();
    const collected = await pool.collect();
    for (const e of collected.errors) errors.merge(e);
    const viewers = collected.viewers;

    const state: RunState = {
      o,
      startedAt,
      target,
      content,
      protocolName: protocol.name,
      presenters,
      viewers,
      stats,
      errors,
      sampler,
      windowStart,
      windowEnd,
      countersAtStart: viewers.map((v) => v.atStart ?? undefined),
      countersAtEnd: viewers.map((v) => v.atEnd ?? undefined),
      selfCpu: selfCpuEnd - selfCpuStart,
      machineBusyCores:
        machineStart && machineEnd
          ? (machineEnd.busy - machineStart.busy) / ((windowEnd.at - windowStart.at) / 1000)
          : null,
      idle,
      afterDrain,
      drainSeconds,
      windowSeconds: (windowEnd.at - windowStart.at) / 1000,
      threads: { main: mainLoad, workers: pool.loads },
    };
    return summarize(state);
  } finally {
    progress.stop();
    for (const t of timers) clearTimeout(t);
    await pool?.close();
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
