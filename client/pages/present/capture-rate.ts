// Keeps the browser from capturing frames the capture loop would only drop. Every captured frame costs the browser
// a readback of the shared surface and a colour conversion (in the GPU process, on the CPU without a GPU) whether or
// not the loop takes it; a loop that manages 14 frames/s at 1920x1080 was handed 30. Once a second the cap follows
// the frames the loop actually sent: down to a little above them while it drops many, back up while it keeps up
// (a still screen delivers few frames, so the cap is back at the maximum before motion starts again).

/** never cap below this: a cap only saves work the loop would drop anyway */
export const MIN_CAPTURE_FPS = 8;

export class CaptureRateCap {
  /** totals at the last update; the first update only records them (the counters may have a history) */
  private delivered = -1;
  private sent = -1;

  constructor(
    private maxFps: number,
    /** asks the browser for at most this many frames/s */
    private readonly apply: (fps: number) => void,
    public cap = maxFps,
  ) {}

  /** A new maximum (the settings changed): the cap starts over from it. */
  setMax(maxFps: number): void {
    this.maxFps = maxFps;
    this.set(maxFps);
  }

  /** Cumulative frames delivered to the loop and sent by it, read once a second. */
  update(deliveredTotal: number, sentTotal: number): void {
    const primed = this.delivered >= 0;
    const delivered = deliveredTotal - this.delivered;
    const sent = sentTotal - this.sent;
    this.delivered = deliveredTotal;
    this.sent = sentTotal;
    if (!primed || delivered < 0 || sent < 0) return; // a first reading, or counters that started over
    if (delivered > sent * 1.3 && delivered > MIN_CAPTURE_FPS) this.set(Math.round(sent * 1.2));
    else if (delivered <= sent * 1.1 + 1) this.set(Math.round(this.cap * 1.25) + 1);
  }

  private set(fps: number): void {
    const next = Math.min(this.maxFps, Math.max(MIN_CAPTURE_FPS, fps));
    if (next === this.cap) return;
    this.cap = next;
    this.apply(next);
  }
}
