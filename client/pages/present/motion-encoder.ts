// Encodes the motion region with WebCodecs VideoEncoder (VP8, realtime, software is fine): one chunk per captured
// frame, awaited, so the capture loop keeps its one-frame-in-flight model. A key frame every `keyIntervalMs`, on
// every new region size and after an error, so viewers that dropped deltas or joined late resume within that time.
// `available()` says whether this browser can do it at all; any failure later returns null and the caller sends
// the region as still tiles instead.
import { MOTION_CODEC_STRING, type MotionCodecName } from '../../../shared/protocol/constants';
import type { Geometry } from '../../../shared/protocol/geometry';
import { type MotionRegion, motionRect } from '../../../shared/protocol/motion';

export interface EncodedMotion {
  key: boolean;
  payload: Uint8Array;
}

const CODEC: MotionCodecName = 'vp8';
/** bits per pixel per frame at 30 fps: ~2.8 Mbit/s for 1280x720 (the VP9 reference measured 2-7 Mbit/s here) */
const BITS_PER_PIXEL = 0.1;
/** a chunk that has not come out by then was dropped by the encoder (realtime rate control may drop frames) */
const OUTPUT_TIMEOUT_MS = 1000;

function config(width: number, height: number): VideoEncoderConfig {
  return {
    codec: MOTION_CODEC_STRING[CODEC],
    width,
    height,
    bitrate: Math.max(300_000, Math.round(width * height * 30 * BITS_PER_PIXEL)),
    framerate: 30,
    latencyMode: 'realtime',
  };
}

export class MotionEncoder {
  readonly codec = CODEC;
  private encoder: VideoEncoder | null = null;
  private size = '';
  private lastKeyAt = Number.NEGATIVE_INFINITY;
  private needKey = true;
  private failed: string | null = null;
  private waiting = new Map<number, (chunk: EncodedMotion | null) => void>();
  private scratch = new Uint32Array(0);
  frames = 0;
  keys = 0;
  bytes = 0;

  constructor(private readonly keyIntervalMs = 1000) {}

  /** Whether VP8 encoding at this size works here (no WebCodecs, or isConfigSupported says no: tiles). */
  static async available(width: number, height: number): Promise<boolean> {
    if (typeof VideoEncoder !== 'function' || typeof VideoFrame !== 'function') return false;
    try {
      return (await VideoEncoder.isConfigSupported(config(width, height))).supported === true;
    } catch {
      return false;
    }
  }

  /** Why encoding stopped for good (then every encode answers null), or null. */
  get error(): string | null {
    return this.failed;
  }

  /** Encodes the region's pixels of `frame` (RGBA words of the whole screen); null when no chunk could be made. */
  async encode(g: Geometry, frame: Uint32Array, region: MotionRegion, now: number): Promise<EncodedMotion | null> {
    if (this.failed) return null;
    const r = motionRect(g, region);
    try {
      const encoder = this.configure(r.width, r.height);
      const key = this.needKey || now - this.lastKeyAt >= this.keyIntervalMs;
      const timestamp = Math.round(now * 1000);
      const video = new VideoFrame(this.regionPixels(g, frame, r), {
        format: 'RGBA',
        codedWidth: r.width,
        codedHeight: r.height,
        timestamp,
      });
      const out = new Promise<EncodedMotion | null>((resolve) => this.waiting.set(timestamp, resolve));
      try {
        encoder.encode(video, { keyFrame: key });
      } finally {
        video.close();
      }
      const chunk = await Promise.race([out, timeout(OUTPUT_TIMEOUT_MS)]);
      this.waiting.delete(timestamp);
      if (!chunk) {
        this.needKey = true;
        return null;
      }
      if (chunk.key) {
        this.lastKeyAt = now;
        this.needKey = false;
        this.keys++;
      }
      this.frames++;
      this.bytes += chunk.payload.byteLength;
      return chunk;
    } catch (err) {
      this.fail(err);
      return null;
    }
  }

  /** The next chunk is a key (a new stream: the region ended, or the server lost it). */
  restart(): void {
    this.needKey = true;
  }

  close(): void {
    if (this.encoder && this.encoder.state !== 'closed') this.encoder.close();
    this.encoder = null;
    this.size = '';
    this.needKey = true;
  }

  private configure(width: number, height: number): VideoEncoder {
    if (!this.encoder || this.encoder.state === 'closed') {
      this.encoder = new VideoEncoder({
        output: (chunk) => this.output(chunk),
        error: (err) => this.fail(err),
      });
      this.size = '';
    }
    const size = `${width}x${height}`;
    if (size !== this.size) {
      // A new size is a new stream: viewers reconfigure their decoder at its key frame.
      this.encoder.configure(config(width, height));
      this.size = size;
      this.needKey = true;
    }
    return this.encoder;
  }

  private output(chunk: EncodedVideoChunk): void {
    const payload = new Uint8Array(chunk.byteLength);
    chunk.copyTo(payload);
    // Outputs come in timestamp order: earlier frames still waiting were dropped by the encoder.
    for (const [ts, resolve] of this.waiting) {
      if (ts > chunk.timestamp) break;
      this.waiting.delete(ts);
      resolve(ts === chunk.timestamp ? { key: chunk.type === 'key', payload } : null);
    }
  }

  private fail(err: unknown): void {
    this.failed = (err as Error)?.message ?? String(err);
    for (const resolve of this.waiting.values()) resolve(null);
    this.waiting.clear();
    this.close();
  }

  /** The region's rows copied out of the whole frame (the whole frame itself when the region is the screen). */
  private regionPixels(g: Geometry, frame: Uint32Array, r: { x: number; y: number; width: number; height: number }) {
    if (r.x === 0 && r.y === 0 && r.width === g.width && r.height === g.height) return frame;
    if (this.scratch.length !== r.width * r.height) this.scratch = new Uint32Array(r.width * r.height);
    for (let y = 0; y < r.height; y++) {
      const from = (r.y + y) * g.width + r.x;
      this.scratch.set(frame.subarray(from, from + r.width), y * r.width);
    }
    return this.scratch;
  }
}

const timeout = (ms: number) => new Promise<null>((resolve) => setTimeout(() => resolve(null), ms));
