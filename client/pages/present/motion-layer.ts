// The presenter's motion layer, per captured frame: which tiles still go as still tiles (region-stills.ts: inside
// the region only its changed tiles, a budget at a time, so the server's copy is at most refreshMs behind) and which
// chunk of video stands for the motion region. Where VP8 encoding is not available, or fails, everything goes as
// still tiles, as before.
import type { Geometry } from '../../../shared/protocol/geometry';
import { type MotionRegion, sameRegion } from '../../../shared/protocol/motion';
import type { MotionReport } from './capture-protocol';
import { MotionDetector } from './motion-detector';
import { type EncodedMotion, MotionEncoder } from './motion-encoder';
import { RegionStills } from './region-stills';

export interface FramePlan {
  /** tile indices to send as still tiles, ascending */
  stills: number[];
  /** the region's chunk for this frame, under way; null when there is no region or it could not be encoded */
  /** `mask`: the region's tiles the chunk is to paint (see RegionStills) */
  motion: Promise<{ region: MotionRegion; chunk: EncodedMotion; mask: Uint8Array | null } | null>;
  /** what must go as still tiles too if `motion` comes back null: the region's tiles not already in `stills` */
  ifNoMotion: number[];
}

const NO_MOTION = Promise.resolve(null);

export class MotionLayer {
  private readonly detector = new MotionDetector();
  private readonly encoder = new MotionEncoder();
  private readonly stills = new RegionStills();
  private availableFor = '';
  private supported = false;
  private checked = false;
  enabled = true;

  /** A region is active (the worker then makes sure a quiet screen still ends it). */
  get active(): boolean {
    return this.detector.current !== null;
  }

  /**
   * Plans one frame and starts encoding its region (the VP8 encoder runs on its own thread while the caller's pool
   * encodes the stills). `full`: every tile goes as a still (a new connection or geometry) and the video starts
   * again at a key frame, as the server may have lost the stream.
   */
  plan(
    g: Geometry,
    pixels: Uint32Array,
    changed: number[],
    full: boolean,
    now: number,
    /** the frame as captured, when it still is open: the encoder crops it instead of copying `pixels` */
    captured: VideoFrame | null = null,
  ): FramePlan {
    if (full) this.encoder.restart();
    if (!this.enabled || !this.canEncode(g) || this.encoder.error) {
      const ended = this.detector.current;
      this.detector.reset();
      return { stills: this.stills.plan(g, changed, ended, null, full, now).stills, motion: NO_MOTION, ifNoMotion: [] };
    }
    const before = this.detector.current;
    const region = this.detector.update(g, changed, now);
    // Another region (or none) is a new stream: the next chunk is a key frame.
    if (before && !sameRegion(before, region)) this.encoder.restart();
    const { stills, held, mask } = this.stills.plan(g, changed, before, region, full, now);
    if (!region) return { stills, motion: NO_MOTION, ifNoMotion: [] };
    const encoding = this.encoder.encode(g, pixels, region, now, captured);
    const motion = encoding.then((chunk) => (chunk ? { region, chunk, mask } : null));
    return { stills, motion, ifNoMotion: held };
  }

  /** The server has a viewer waiting for a key (it joined, or dropped deltas): the next chunk is one. */
  requestKey(): void {
    this.encoder.restart();
  }

  report(): MotionReport {
    const region = this.detector.current;
    const state = !this.enabled
      ? 'off'
      : this.encoder.error
        ? 'failed'
        : this.checked && !this.supported
          ? 'unsupported'
          : region
            ? 'active'
            : 'idle';
    return {
      state,
      region: region ? `${region.col},${region.row} ${region.columns}x${region.rows}` : null,
      frames: this.encoder.frames,
      keys: this.encoder.keys,
      bytes: this.encoder.bytes,
      cropped: this.encoder.cropped,
      encodeMs: this.encoder.lastEncodeMs,
      scale: this.encoder.scale,
    };
  }

  /**
   * Asked once per screen size (the whole screen is the largest region there can be). Never awaited: until the
   * browser has answered, frames go as still tiles, so a slow or stuck answer cannot hold the capture loop.
   */
  private canEncode(g: Geometry): boolean {
    const size = `${g.width}x${g.height}`;
    if (size !== this.availableFor) {
      this.availableFor = size;
      this.supported = false;
      this.checked = false;
      void MotionEncoder.available(g.width, g.height).then((ok) => {
        if (this.availableFor !== size) return;
        this.supported = ok;
        this.checked = true;
      });
    }
    return this.supported;
  }
}
