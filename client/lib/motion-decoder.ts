// Decodes the motion layer's chunks (shared/PROTOCOL.md, Motion layer) with WebCodecs VideoDecoder. The server
// sends a viewer deltas only while it has every chunk since the last key, so a decoder here only has to wait for
// a key at the start, after a new region size, and after any decode error (then it starts over at the next key).
// Without VideoDecoder every chunk answers null: the viewer keeps the region's still tiles, which the presenter
// refreshes at least once per key interval.
import { MOTION_CODEC_STRING, type MotionCodecName } from '../../shared/protocol/constants';
import { vp8FrameInfo } from '../../shared/protocol/motion';

export interface MotionChunkIn {
  key: boolean;
  codec: MotionCodecName;
  payload: Uint8Array;
}

export class MotionDecoder {
  static readonly available = typeof VideoDecoder === 'function';
  private decoder: VideoDecoder | null = null;
  private stream = '';
  private waitingForKey = true;
  private readonly outputs: ((frame: VideoFrame | null) => void)[] = [];
  private timestamp = 0;
  /** chunks that could not be decoded (a broken stream: it resumes at the next key) */
  errors = 0;

  /** Starts decoding now; resolves with the frame (the caller closes it) or null if this chunk cannot be shown. */
  decode(m: MotionChunkIn): Promise<VideoFrame | null> {
    if (!MotionDecoder.available) return Promise.resolve(null);
    // A stream is a codec and the size its key declares (the presenter may encode the region scaled down).
    const info = m.key ? vp8FrameInfo(m.payload) : null;
    const stream = info ? `${m.codec} ${info.width}x${info.height}` : this.stream;
    if (m.key) this.waitingForKey = false;
    if (this.waitingForKey || !stream) return Promise.resolve(null);
    try {
      const decoder = this.configure(stream, m);
      const out = new Promise<VideoFrame | null>((resolve) => this.outputs.push(resolve));
      decoder.decode(
        new EncodedVideoChunk({ type: m.key ? 'key' : 'delta', timestamp: ++this.timestamp, data: m.payload }),
      );
      return out;
    } catch {
      this.broken();
      return Promise.resolve(null);
    }
  }

  close(): void {
    this.broken();
    this.errors = 0;
  }

  private configure(stream: string, m: MotionChunkIn): VideoDecoder {
    if (!this.decoder || this.decoder.state === 'closed') {
      this.decoder = new VideoDecoder({
        // VP8 has no reordering: frames come out in the order their chunks went in.
        output: (frame) => {
          const resolve = this.outputs.shift();
          if (resolve) resolve(frame);
          else frame.close();
        },
        error: () => {
          this.errors++;
          this.broken();
        },
      });
      this.stream = '';
    }
    if (stream !== this.stream) {
      this.decoder.configure({ codec: MOTION_CODEC_STRING[m.codec] });
      this.stream = stream;
    }
    return this.decoder;
  }

  /** Drops the decoder and every frame still owed: the next key starts a new one. */
  private broken(): void {
    if (this.decoder && this.decoder.state !== 'closed') this.decoder.close();
    this.decoder = null;
    this.stream = '';
    this.waitingForKey = true;
    for (const resolve of this.outputs.splice(0)) resolve(null);
  }
}
