// One small queue for all image work (room snapshots, recording frames), shared by every route of a server.
// Two bounds: at most `active` pictures are being rendered at once (each holds one canvas), and at most `queued`
// wait; past that a request is refused at once with 503 rather than piling up memory and latency. A job whose
// client left while it waited never starts (a running one stops at its next tile, see renderTiles).
import { ClientGoneError, ImageBusyError } from '../errors';

interface Waiter {
  start: () => void;
}

export class ImageJobs {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    readonly maxActive: number,
    readonly maxQueued: number,
  ) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw new ClientGoneError();
    if (this.running < this.maxActive) this.running++;
    else if (this.waiting.length >= this.maxQueued) throw new ImageBusyError(this.running, this.waiting.length);
    else await this.wait(signal); // resolves with the slot handed over (running unchanged)
    try {
      if (signal?.aborted) throw new ClientGoneError();
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next.start();
      else this.running--;
    }
  }

  /** Waits for a slot; a client that leaves meanwhile frees its place in the queue at once. */
  private wait(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new ClientGoneError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }
}
