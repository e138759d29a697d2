// What the load test's main thread (presenters, sampler) and its viewer workers say to each other.
import type { Geometry } from '../../shared/protocol';
import type { ProtocolName, RoomTarget } from './protocols';
import type { SlowOptions } from './slow-reader';
import type { ViewerClass, ViewerCounters } from './viewer-stats';

export interface WorkerInit {
  index: number;
  protocol: ProtocolName;
  /** viewers ack every sync they read (where the protocol has acks) */
  acks: boolean;
  geometry: Geometry;
  slow: SlowOptions;
  /** per worker: [messages received, open viewers], refreshed every 100 ms for the sampler and progress bar */
  live: SharedArrayBuffer;
}

export interface ViewerSpec {
  id: number;
  cls: ViewerClass;
  room: RoomTarget;
}

/** One viewer at the end of the run, as the report needs it. */
export interface ViewerSnapshot {
  id: number;
  cls: ViewerClass;
  roomId: string;
  open: boolean;
  counters: ViewerCounters;
  atStart: ViewerCounters | null;
  atEnd: ViewerCounters | null;
  firstSyncSeq: number;
  tilesAtFirstSync: number;
  skippedAtFirstSync: number;
  firstFullPictureMs: number;
  grid: Int32Array;
}

/** A thread's own load over the measured window. */
export interface ThreadLoad {
  /** event-loop utilization: share of the window the thread was busy (1 = saturated) */
  utilization: number;
  /** how late its event loop ran, in ms (see loop-lateness.ts) */
  loopLateMs: { p99: number; max: number };
}

export type ToWorker =
  | { type: 'add'; viewers: ViewerSpec[]; batch: number }
  | { type: 'window-start' }
  | { type: 'window-end' }
  | { type: 'drain'; sentSeq: Record<string, Int32Array> }
  | { type: 'drain-check'; sentSeq: Record<string, Int32Array> }
  | { type: 'collect' }
  | { type: 'close' };

export type FromWorker =
  | { type: 'added'; batch: number; ready: number; failed: number; lastError: string | null }
  | { type: 'window-end'; load: ThreadLoad; histograms: Record<ViewerClass, string> }
  | { type: 'drain-check'; converged: boolean; quietMs: number }
  | {
      type: 'collect';
      viewers: ViewerSnapshot[];
      errors: { total: number; byKind: Record<string, number>; samples: string[] };
    }
  | { type: 'closed' };
