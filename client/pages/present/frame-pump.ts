// Reads VideoFrames from the track processor's stream on the page and hands each to the capture worker, one at a
// time: the next frame is read only once the worker has taken the last one, so frames wait in the processor's
// bounded queue (which drops the oldest), never in the worker's message queue. Frames go by postMessage transfer
// rather than by transferring the stream itself: with the stream transferred, Chromium reported "A VideoFrame was
// garbage collected without being closed" in about one motion e2e run in three next to busy loops, while a
// FinalizationRegistry in the worker saw every frame the worker was given closed (the frame was lost inside the
// transferred stream); with frames transferred one by one, none in 16 such runs.
// A VideoFrame holds capture memory until close(): every frame read here is either delivered (the receiver owns
// it) or closed here, including one whose read resolved just before stop() and one from a replaced stream.
export class FramePump {
  private reader: ReadableStreamDefaultReader<VideoFrame> | null = null;
  private loop: Promise<void> = Promise.resolve();
  /** delivered frames the receiver has not said it took */
  private inFlight = 0;
  private wake: (() => void) | null = null;

  constructor(
    private readonly deliver: (frame: VideoFrame) => void,
    private readonly maxInFlight = 1,
  ) {}

  start(readable: ReadableStream<VideoFrame>): void {
    void this.reader?.cancel().catch(() => {});
    const reader = readable.getReader();
    this.reader = reader;
    this.inFlight = 0;
    this.resume();
    this.loop = this.read(reader);
  }

  /** The receiver took a delivered frame: the next one may be read. */
  taken(): void {
    if (this.inFlight > 0) this.inFlight--;
    this.resume();
  }

  /** Cancels the stream and resolves once the read loop has ended: no frame is delivered after this. */
  async stop(): Promise<void> {
    const reader = this.reader;
    this.reader = null;
    this.resume();
    if (!reader) return;
    await reader.cancel().catch(() => {});
    await this.loop;
  }

  private resume(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async read(reader: ReadableStreamDefaultReader<VideoFrame>): Promise<void> {
    try {
      for (;;) {
        while (this.reader === reader && this.inFlight >= this.maxInFlight) {
          await new Promise<void>((resolve) => (this.wake = resolve));
        }
        if (this.reader !== reader) return;
        const { value, done } = await reader.read();
        if (done) return;
        if (this.reader !== reader) {
          value.close();
          continue;
        }
        try {
          this.deliver(value);
          this.inFlight++;
        } catch {
          value.close(); // not handed over (a transfer that failed): still ours
        }
      }
    } catch {
      // The stream errored (track ended under us): nothing more to read, and nothing was left unclosed.
    }
  }
}
