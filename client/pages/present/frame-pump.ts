// Reads VideoFrames from the track processor's stream into the capture loop. A VideoFrame holds decoder memory
// until close(): every frame read here is either handed over (the receiver owns it) or closed here, including one
// whose read resolved just before stop() and one from a stream that a newer source replaced.
import { auditClose } from './frame-audit';

export class FramePump {
  private reader: ReadableStreamDefaultReader<VideoFrame> | null = null;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly deliver: (frame: VideoFrame) => void) {}

  start(readable: ReadableStream<VideoFrame>): void {
    void this.reader?.cancel().catch(() => {});
    const reader = readable.getReader();
    this.reader = reader;
    this.loop = this.read(reader);
  }

  /** Cancels the stream and resolves once the read loop has ended: no frame is delivered after this. */
  async stop(): Promise<void> {
    const reader = this.reader;
    this.reader = null;
    if (!reader) return;
    await reader.cancel().catch(() => {});
    await this.loop;
  }

  private async read(reader: ReadableStreamDefaultReader<VideoFrame>): Promise<void> {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        if (this.reader === reader) this.deliver(auditClose(value));
        else value.close();
      }
    } catch {
      // The stream errored (track ended under us): nothing more to read, and nothing was left unclosed.
    }
  }
}
