// The viewers of a run, spread round-robin over worker threads (one event loop each), so the load generator is not
// the limit: the main thread keeps only the presenters, the sampler and the clock of the run.
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import * as hdr from 'hdr-histogram-js';
import type { Geometry } from '../../shared/protocol';
import type { FromWorker, ThreadLoad, ToWorker, ViewerSnapshot, ViewerSpec, WorkerInit } from './generator-messages';
import type { ProtocolName } from './protocols';
import type { SlowOptions } from './slow-reader';
import type { ClassStats, ViewerClass } from './viewer-stats';

/** Viewers one worker thread carries by default: well under what saturates one core at the bench's rates. */
export const VIEWERS_PER_WORKER = 150;

/** Default worker count: enough threads for the viewers, at most one per core. */
export function defaultWorkers(sockets: number): number {
  return Math.max(1, Math.min(os.availableParallelism(), Math.ceil(sockets / VIEWERS_PER_WORKER)));
}

type Reply<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

interface Waiter {
  resolve(m: FromWorker): void;
  reject(err: Error): void;
  reply: string;
}

class ViewerWorker {
  readonly worker: Worker;
  readonly live: Float64Array;
  private waiting = new Map<string, Waiter[]>();
  private exitCode: number | null = null;

  constructor(init: Omit<WorkerInit, 'live'>) {
    const shared = new SharedArrayBuffer(16);
    this.live = new Float64Array(shared);
    this.worker = new Worker(new URL('./ts-worker.mjs', import.meta.url), {
      workerData: { ...init, live: shared, tsEntry: new URL('./viewer-worker.ts', import.meta.url).href },
    });
    this.worker.on('message', (m: FromWorker) => {
      const key = m.type === 'added' ? `added:${m.batch}` : m.type;
      this.waiting.get(key)?.shift()?.resolve(m);
    });
    // One listener for every pending question (the 50-room point asks dozens at once, one per room's batch).
    this.worker.once('exit', (code) => {
      this.exitCode = code;
      for (const queue of this.waiting.values())
        for (const w of queue) w.reject(new Error(`viewer worker exited (${code}) while waiting for ${w.reply}`));
      this.waiting.clear();
    });
  }

  send(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  ask<T extends FromWorker['type']>(m: ToWorker, reply: T, key: string = reply): Promise<Reply<T>> {
    return new Promise((resolve, reject) => {
      if (this.exitCode !== null)
        return reject(new Error(`viewer worker exited (${this.exitCode}) before asking for ${reply}`));
      const queue = this.waiting.get(key) ?? [];
      queue.push({ resolve: (r) => resolve(r as Reply<T>), reject, reply });
      this.waiting.set(key, queue);
      this.send(m);
    });
  }
}

export class ViewerPool {
  private readonly workers: ViewerWorker[];
  private batches = 0;
  /** each worker's load over the window, filled by endWindow() */
  loads: ThreadLoad[] = [];

  constructor(count: number, protocol: ProtocolName, acks: boolean, geometry: Geometry, slow: SlowOptions) {
    this.workers = Array.from(
      { length: count },
      (_, index) => new ViewerWorker({ index, protocol, acks, geometry, slow }),
    );
  }

  get size(): number {
    return this.workers.length;
  }

  /** Connects viewers (each worker gets every n-th); resolves when each has opened or failed. */
  async add(specs: ViewerSpec[]): Promise<{ ready: number; failed: number; lastError: string | null }> {
    const parts = this.workers
      .map((w, i) => ({ w, viewers: specs.filter((s) => s.id % this.workers.length === i) }))
      .filter((p) => p.viewers.length);
    const replies = await Promise.all(
      parts.map(({ w, viewers }) => {
        const batch = this.batches++;
        return w.ask({ type: 'add', viewers, batch }, 'added', `added:${batch}`);
      }),
    );
    return {
      ready: replies.reduce((n, r) => n + r.ready, 0),
      failed: replies.reduce((n, r) => n + r.failed, 0),
      lastError: replies.map((r) => r.lastError).find((e) => e) ?? null,
    };
  }

  /** Messages received and viewers open, from the workers' shared counters (at most 100 ms old). */
  liveFigures(): { messages: number; open: number } {
    let messages = 0;
    let open = 0;
    for (const w of this.workers) {
      messages += w.live[0];
      open += w.live[1];
    }
    return { messages, open };
  }

  startWindow(): void {
    for (const w of this.workers) w.send({ type: 'window-start' });
  }

  /** Stops measuring; merges the workers' latency histograms into `stats`. */
  async endWindow(stats: Record<ViewerClass, ClassStats>): Promise<void> {
    const replies = await Promise.all(this.workers.map((w) => w.ask({ type: 'window-end' }, 'window-end')));
    this.loads = replies.map((r) => r.load);
    for (const r of replies)
      for (const [cls, encoded] of Object.entries(r.histograms))
        stats[cls as ViewerClass].latency.add(hdr.decodeFromCompressedBase64(encoded));
  }

  drain(sentSeq: Record<string, Int32Array>): void {
    for (const w of this.workers) w.send({ type: 'drain', sentSeq });
  }

  /** Whether every open viewer holds the presenter's last picture, and how long since any viewer last received. */
  async drainCheck(sentSeq: Record<string, Int32Array>): Promise<{ converged: boolean; quietMs: number }> {
    const replies = await Promise.all(this.workers.map((w) => w.ask({ type: 'drain-check', sentSeq }, 'drain-check')));
    return { converged: replies.every((r) => r.converged), quietMs: Math.min(...replies.map((r) => r.quietMs)) };
  }

  async collect(): Promise<{ viewers: ViewerSnapshot[]; errors: Reply<'collect'>['errors'][] }> {
    const replies = await Promise.all(this.workers.map((w) => w.ask({ type: 'collect' }, 'collect')));
    return {
      viewers: replies.flatMap((r) => r.viewers).sort((a, b) => a.id - b.id),
      errors: replies.map((r) => r.errors),
    };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(async (w) => {
        await Promise.race([
          w.ask({ type: 'close' }, 'closed').catch(() => undefined),
          new Promise((r) => setTimeout(r, 3000)),
        ]);
        await w.worker.terminate();
      }),
    );
  }
}
