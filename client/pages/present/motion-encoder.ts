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
const FRAME_US = Math.round(1e6 / 30);
/**
 * The region is encoded at one of these scales (viewers scale it back up): software VP8 at 1280x720 costs 7-23 ms
 * a frame on an idle core here and 40-130 ms on this shared machine, 640x360 a quarter of that. Down a step when
 * delta frames take over SLOW_MS on average (see adapt): a region in motion loses sharpness before frame rate
 * (its still tiles restore it once it stops; text outside the region is never scaled). 3/8 is for 1920x1080: the
 * windows class's region (1728x896) at 1/2 still took 37-112 ms a frame here with the viewer and compositor in the
 * same browser (10-15 fps); at 3/8, 3-17 ms and 15-21 fps. SLOW_MS was 35 until chunks were masked (viewers now
 * show only the tiles in motion scaled, the rest stays lossless): 25 took 1920x1080 windows from glass-to-glass p50
 * 91-96 to 73-96 ms (3 interleaved pairs).
 */
const SCALES = [1, 0.75, 0.5, 0.375];
const SLOW_MS = 25;
const SCALE_HOLD_MS = 1500;

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
  private sequence = 0;
  /** frames in a row that produced no chunk */
  private silent = 0;
  private scaleStep = 0;
  private scaleChangedAt = 0;
  private encodeMsAvg = 0;
  frames = 0;
  keys = 0;
  /** frames encoded from a crop of the captured frame */
  cropped = 0;
  bytes = 0;
  /** ms from handing the last frame to the encoder to its chunk */
  lastEncodeMs = 0;

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

  /** The scale the region is encoded at now. */
  get scale(): number {
    return SCALES[this.scaleStep];
  }

  /** Why encoding stopped for good (then every encode answers null), or null. */
  get error(): string | null {
    return this.failed;
  }

  /**
   * Encodes the region's pixels of `frame` (RGBA words of the whole screen); null when no chunk could be made.
   * `captured`, the frame as the browser delivered it, is cropped instead where it can be (see cropOf).
   */
  async encode(
    g: Geometry,
    frame: Uint32Array,
    region: MotionRegion,
    now: number,
    captured: VideoFrame | null = null,
  ): Promise<EncodedMotion | null> {
    if (this.failed) return null;
    const r = motionRect(g, region);
    try {
      const encoder = this.configure(r.width, r.height);
      const key = this.needKey || now - this.lastKeyAt >= this.keyIntervalMs;
      // Frame times as if at the configured 30 fps, whatever the real rate: libvpx's realtime mode picks its speed
      // from the time between frames, so real times at a low rate make it slower still (measured here: 36-128 ms
      // a 1024x640 frame with wall-clock times, 7-12 ms at 1280x720 with 30 fps times).
      const timestamp = ++this.sequence * FRAME_US;
      const crop = captured && cropOf(captured, g, r, timestamp);
      if (crop) this.cropped++;
      const video =
        crop ??
        new VideoFrame(this.regionPixels(g, frame, r), {
          format: 'RGBA',
          codedWidth: r.width,
          codedHeight: r.height,
          timestamp,
        });
      const out = new Promise<EncodedMotion | null>((resolve) => this.waiting.set(timestamp, resolve));
      const started = performance.now();
      try {
        encoder.encode(video, { keyFrame: key });
      } finally {
        video.close();
      }
      const chunk = await Promise.race([out, timeout(OUTPUT_TIMEOUT_MS)]);
      this.waiting.delete(timestamp);
      this.lastEncodeMs = performance.now() - started;
      if (!chunk) {
        this.needKey = true;
        // An encoder that stops answering is given up on (frames go as still tiles), not waited for every frame.
        if (++this.silent >= 3) this.fail(new Error('the video encoder stopped answering'));
        return null;
      }
      this.silent = 0;
      if (!chunk.key) this.adapt(this.lastEncodeMs, now);
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

  /**
   * Moves the scale a step when delta frames are steadily slow, or back up when the bigger size (cost grows with the
   * pixels) is predicted to stay under half of SLOW_MS; the next frame is then a key. Up-steps wait longer than
   * down-steps: a scale that flips back and forth costs a key frame each time.
   */
  private adapt(ms: number, now: number): void {
    this.encodeMsAvg = this.encodeMsAvg ? this.encodeMsAvg * 0.7 + ms * 0.3 : ms;
    const held = now - this.scaleChangedAt;
    let step = 0;
    if (this.encodeMsAvg > SLOW_MS && this.scaleStep < SCALES.length - 1 && held >= SCALE_HOLD_MS) step = 1;
    else if (this.scaleStep > 0 && held >= SCALE_HOLD_MS * 3) {
      const growth = (SCALES[this.scaleStep - 1] / SCALES[this.scaleStep]) ** 2;
      if (this.encodeMsAvg * growth < SLOW_MS / 2) step = -1;
    }
    if (!step) return;
    this.scaleStep += step;
    this.scaleChangedAt = now;
    this.encodeMsAvg = 0;
  }

  private configure(regionWidth: number, regionHeight: number): VideoEncoder {
    // Scaled sizes are even (4:2:0 chroma); the frame keeps the region's size, the encoder scales it.
    const scaled = (side: number) =>
      this.scaleStep === 0 ? side : Math.max(16, Math.floor((side * this.scale) / 2) * 2);
    const width = Math.min(regionWidth, scaled(regionWidth));
    const height = Math.min(regionHeight, scaled(regionHeight));
    if (!this.encoder || this.encoder.state === 'closed') {
      this.encoder = new VideoEncoder({
        output: (chunk) => this.output(chunk),
        error: (err) => this.fail(err),
      });
      this.size = '';
    }
    const size = `${width}x${height} from ${regionWidth}x${regionHeight}`;
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

/**
 * The region as a crop of the captured frame (a view, no copy): the encoder then reads the capture's own YUV
 * planes instead of our RGBA copy of them, which saves copying the region out and converting it back to YUV
 * (measured at 1920x1080: ~6 MB copied and converted a frame). Null where the capture is not at the screen's size
 * or the crop is not on even pixels (4:2:0 chroma); the caller then uses the RGBA path.
 */
function cropOf(
  captured: VideoFrame,
  g: Geometry,
  r: { x: number; y: number; width: number; height: number },
  timestamp: number,
): VideoFrame | null {
  const visible = captured.visibleRect;
  if (!visible || visible.x !== 0 || visible.y !== 0) return null;
  if (captured.displayWidth !== g.width || captured.displayHeight !== g.height) return null;
  if (visible.width !== g.width || visible.height !== g.height) return null;
  if ((r.x | r.y | r.width | r.height) & 1) return null;
  try {
    return new VideoFrame(captured, { visibleRect: r, timestamp });
  } catch {
    return null;
  }
}

const timeout = (ms: number) => new Promise<null>((resolve) => setTimeout(() => resolve(null), ms));
