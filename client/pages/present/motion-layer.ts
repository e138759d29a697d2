// The presenter's motion layer, per captured frame: which tiles still go as still tiles and which chunk of video
// stands for the motion region. Inside the region only a rolling slice of tiles is sent as stills, so that every
// tile of it reaches the server at least once per refreshMs (ScreenShot, late joiners, recordings
// and snapshots show the region, a little behind); when the region ends or moves, all of its old tiles are sent.
// Where VP8 encoding is not available, or fails, everything goes as still tiles, as before.
import type { Geometry } from '../../../shared/protocol/geometry';
import { type MotionRegion, sameRegion } from '../../../shared/protocol/motion';
import type { MotionReport } from './capture-protocol';
import { MotionDetector, regionTiles } from './motion-detector';
import { type EncodedMotion, MotionEncoder } from './motion-encoder';

/**
 * Every tile of the region is sent as a still at least once per REFRESH_MS, whatever the frame rate; a region of
 * more than REFRESH_TILES_PER_SECOND x 1.5 tiles takes longer (a 1920x1080 screen: 3 s). The refresh is PNG work
 * on the presenter and decode work on every viewer: at 1920x1080 a 1.5 s refresh was 19 of every frame's tiles,
 * and 3 s took the moving-windows class from 13.2-13.4 to 13.7-15.4 fps (same machine, same run setup).
 */
const REFRESH_MS = 1500;
const REFRESH_TILES_PER_SECOND = 125;

export const refreshMs = (regionTiles: number): number =>
  Math.max(REFRESH_MS, (regionTiles / REFRESH_TILES_PER_SECOND) * 1000);

export interface FramePlan {
  /** tile indices to send as still tiles, ascending */
  stills: number[];
  /** the region's chunk for this frame, under way; null when there is no region or it could not be encoded */
  motion: Promise<{ region: MotionRegion; chunk: EncodedMotion } | null>;
  /** what must go as still tiles too if `motion` comes back null: the region's tiles not already in `stills` */
  ifNoMotion: number[];
}

const NO_MOTION = Promise.resolve(null);

export class MotionLayer {
  private readonly detector = new MotionDetector();
  private readonly encoder = new MotionEncoder();
  private availableFor = '';
  private supported = false;
  private checked = false;
  private refreshAt = 0;
  private plannedAt = Number.NEGATIVE_INFINITY;
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
      return { stills: ended ? merge(changed, regionTiles(g, ended)) : changed, motion: NO_MOTION, ifNoMotion: [] };
    }
    const before = this.detector.current;
    const region = this.detector.update(g, changed, now);
    let stills = changed;
    if (before && !sameRegion(before, region)) {
      // The old region's tiles on the server are up to refreshMs old: send them all once.
      stills = merge(stills, regionTiles(g, before));
      this.encoder.restart();
    }
    if (!region) return { stills, motion: NO_MOTION, ifNoMotion: [] };
    // A new region's tiles just went out (they changed in the frames before it): the refresh starts from now.
    if (!sameRegion(before, region)) this.plannedAt = now;
    const inside = regionTiles(g, region);
    const encoding = this.encoder.encode(g, pixels, region, now, captured);
    const motion = encoding.then((chunk) => (chunk ? { region, chunk } : null));
    if (full) return { stills, motion, ifNoMotion: [] };
    const skip = new Set(inside);
    // The share of the region this frame's time is of its refresh period, in a rolling order.
    const share = Math.min(1, Math.max(0, now - this.plannedAt) / refreshMs(inside.length));
    this.plannedAt = now;
    const count = Math.ceil(inside.length * share);
    for (let k = 0; k < count; k++) skip.delete(inside[(this.refreshAt + k) % inside.length]);
    this.refreshAt = (this.refreshAt + count) % inside.length;
    const refresh = inside.filter((i) => !skip.has(i));
    return {
      stills: merge(
        stills.filter((i) => !skip.has(i)),
        refresh,
      ),
      motion,
      ifNoMotion: inside.filter((i) => skip.has(i)),
    };
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

/** Sorted union of two lists of tile indices. */
function merge(a: readonly number[], b: readonly number[]): number[] {
  return [...new Set([...a, ...b])].sort((x, y) => x - y);
}
