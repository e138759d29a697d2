// Frames per second over a sliding one-second window, without timers.
export class FpsMeter {
  private stamps: number[] = [];

  tick(now: number): void {
    this.stamps.push(now);
    if (this.stamps.length > 240) this.stamps.splice(0, this.stamps.length - 240);
  }

  rate(now: number): number {
    let n = 0;
    for (let i = this.stamps.length - 1; i >= 0 && now - this.stamps[i] <= 1000; i--) n++;
    return n;
  }
}
