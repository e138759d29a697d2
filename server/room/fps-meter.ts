// Frames per second over a sliding one-second window, without timers: the last 240 frame stamps in a ring, so a
// frame costs a store, never an allocation (it runs for every ingested frame).
const STAMPS = 240;

export class FpsMeter {
  private readonly stamps = new Float64Array(STAMPS);
  /** stamps written so far (the newest is at (count - 1) % STAMPS) */
  private count = 0;

  tick(now: number): void {
    this.stamps[this.count % STAMPS] = now;
    this.count++;
  }

  rate(now: number): number {
    let n = 0;
    const kept = Math.min(this.count, STAMPS);
    for (let i = 1; i <= kept && now - this.stamps[(this.count - i) % STAMPS] <= 1000; i++) n++;
    return n;
  }
}
