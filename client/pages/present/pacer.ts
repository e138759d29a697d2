// Presenter-side flow control: a frame rate between a floor and a cap. Each tick either captures, waits for its
// slot, or is skipped because the socket is backed up (then the rate drops). Rates climb back while the socket
// drains easily. Skipping, never queueing, keeps latency bounded: the newest frame is always the one sent next.

export interface PacerLimits {
  minFps: number;
  maxFps: number;
  /** socket bytes queued above which a tick is skipped */
  highWaterBytes: number;
}

export type PaceDecision = { action: 'capture' } | { action: 'wait'; ms: number } | { action: 'skip'; ms: number };

export class Pacer {
  fps: number;
  skipped = 0;
  private lastTickAt = Number.NEGATIVE_INFINITY;

  constructor(private limits: PacerLimits) {
    this.fps = limits.maxFps;
  }

  setLimits(limits: PacerLimits): void {
    this.limits = limits;
    this.fps = Math.min(Math.max(this.fps, limits.minFps), limits.maxFps);
  }

  decide(now: number, buffered: number): PaceDecision {
    const wait = this.lastTickAt + 1000 / this.fps - now;
    if (wait > 1) return { action: 'wait', ms: wait };
    this.lastTickAt = now;
    if (buffered > this.limits.highWaterBytes) {
      this.fps = Math.max(this.limits.minFps, this.fps * 0.75);
      this.skipped++;
      return { action: 'skip', ms: 1000 / this.fps };
    }
    return { action: 'capture' };
  }

  /** The page sent a frame; `buffered` is the socket's queue right after. */
  sent(buffered: number): void {
    if (buffered < this.limits.highWaterBytes / 4) this.fps = Math.min(this.limits.maxFps, this.fps * 1.1 + 0.5);
  }
}
