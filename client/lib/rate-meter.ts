// Per-second rates over a sliding window, for the fps / kbps read-outs.

export class RateMeter {
  private readonly samples: { t: number; value: number }[] = [];
  total = 0;

  constructor(private readonly windowMs = 2000) {}

  add(value = 1, now = performance.now()): void {
    this.samples.push({ t: now, value });
    this.total += value;
    this.trim(now);
  }

  /** value per second over the window */
  rate(now = performance.now()): number {
    this.trim(now);
    let sum = 0;
    for (const s of this.samples) sum += s.value;
    return (sum * 1000) / this.windowMs;
  }

  private trim(now: number): void {
    while (this.samples.length && now - this.samples[0].t > this.windowMs) this.samples.shift();
  }
}
