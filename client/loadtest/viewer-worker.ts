// A viewer worker thread of the load generator: holds a share of the viewers (their sockets, parsing, latency
// histograms, slow readers, heartbeats) so no single event loop carries them all. Driven by ViewerPool.
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import * as hdr from 'hdr-histogram-js';
import { nowMs } from './clock';
import { ErrorLog } from './errors';
import type { FromWorker, ToWorker, ViewerSnapshot, WorkerInit } from './generator-messages';
import { loopLateness, loopMonitor } from './loop-lateness';
import { PROTOCOLS, type Protocol } from './protocols';
import { SlowReader } from './slow-reader';
import { Viewer } from './viewer';
import { ClassStats, type ViewerClass, type ViewerCounters, VIEWER_CLASSES } from './viewer-stats';

const init = workerData as WorkerInit;
const port = parentPort!;
const protocol: Protocol = init.acks ? PROTOCOLS[init.protocol] : { ...PROTOCOLS[init.protocol], ack: () => null };
const live = new Float64Array(init.live);
const errors = new ErrorLog();
const stats = Object.fromEntries(VIEWER_CLASSES.map((c) => [c, new ClassStats()])) as Record<ViewerClass, ClassStats>;
const viewers: Viewer[] = [];
const slowReaders: SlowReader[] = [];
const atStart = new Map<Viewer, ViewerCounters>();
const atEnd = new Map<Viewer, ViewerCounters>();
const loop = loopMonitor();
let elu = performance.eventLoopUtilization();
let windowOpen = false;

const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

const liveTimer = setInterval(() => {
  let messages = 0;
  let open = 0;
  for (const v of viewers) {
    messages += v.counters.messages;
    if (v.open) open++;
  }
  live[0] = messages;
  live[1] = open;
}, 100);
const heartbeat = setInterval(() => viewers.forEach((v) => v.heartbeat()), 5000);

function startSlow(v: Viewer): void {
  const slow = new SlowReader(v.ws, init.slow);
  v.onBytes = (n) => slow.onBytes(n);
  slowReaders.push(slow);
  slow.start();
}

function differ(sentSeq: Record<string, Int32Array>): boolean {
  return viewers.some((v) => v.open && v.differences(sentSeq[v.room.id]) !== 0);
}

function snapshot(v: Viewer): ViewerSnapshot {
  return {
    id: v.id,
    cls: v.cls,
    roomId: v.room.id,
    open: v.open,
    counters: { ...v.counters },
    atStart: atStart.get(v) ?? null,
    atEnd: atEnd.get(v) ?? null,
    firstSyncSeq: v.firstSyncSeq,
    tilesAtFirstSync: v.tilesAtFirstSync,
    skippedAtFirstSync: v.skippedAtFirstSync,
    firstFullPictureMs: v.firstFullPictureMs,
    grid: v.grid,
  };
}

port.on('message', (m: ToWorker) => {
  switch (m.type) {
    case 'add': {
      let pending = m.viewers.length;
      let ready = 0;
      const done = (v: Viewer) => {
        if (v.ready) ready++;
        if (--pending === 0)
          post({
            type: 'added',
            batch: m.batch,
            ready,
            failed: m.viewers.length - ready,
            lastError: errors.samples[errors.samples.length - 1] ?? null,
          });
      };
      for (const s of m.viewers) {
        const v = new Viewer(
          s.id,
          s.cls,
          s.room,
          protocol,
          init.geometry,
          stats[s.cls],
          { error: (k, msg) => errors.add(k, msg) },
          done,
        );
        viewers.push(v);
        // a viewer that arrives inside the window (a late joiner) is measured from its first sync
        if (windowOpen) atStart.set(v, { ...v.counters });
      }
      return;
    }
    case 'window-start':
      windowOpen = true;
      for (const v of viewers) atStart.set(v, { ...v.counters });
      for (const c of VIEWER_CLASSES) stats[c].recording = true;
      for (const v of viewers) if (v.cls === 'slow' && v.open) startSlow(v);
      elu = performance.eventLoopUtilization();
      loop.reset();
      loop.enable();
      return;
    case 'window-end': {
      windowOpen = false;
      for (const c of VIEWER_CLASSES) stats[c].recording = false;
      for (const v of viewers) atEnd.set(v, { ...v.counters });
      loop.disable();
      const utilization = performance.eventLoopUtilization(elu).utilization;
      const histograms = Object.fromEntries(
        VIEWER_CLASSES.map((c) => [c, hdr.encodeIntoCompressedBase64(stats[c].latency)]),
      ) as Record<ViewerClass, string>;
      post({
        type: 'window-end',
        load: { utilization, loopLateMs: loopLateness(loop) },
        histograms,
      });
      return;
    }
    case 'drain':
      for (const s of slowReaders) s.stop();
      return;
    case 'drain-check': {
      const now = nowMs();
      let quietMs = Number.POSITIVE_INFINITY;
      for (const v of viewers) if (v.open) quietMs = Math.min(quietMs, now - v.lastReceiveAt);
      post({ type: 'drain-check', converged: protocol.name === 'tilecast' && !differ(m.sentSeq), quietMs });
      return;
    }
    case 'collect':
      post({
        type: 'collect',
        viewers: viewers.map(snapshot),
        errors: { total: errors.total, byKind: errors.byKind, samples: errors.samples },
      });
      return;
    case 'close':
      clearInterval(liveTimer);
      clearInterval(heartbeat);
      for (const s of slowReaders) s.stop();
      for (const v of viewers) v.close();
      setTimeout(() => {
        post({ type: 'closed' });
        port.close();
      }, 200);
      return;
  }
});
