// Finds the motion region: the part of the screen that changes in every frame (a scrolled document, a playing
// video), where still tiles cannot keep up and a video encoder can. Pure (no browser API) so it is unit tested.
// A tile is hot once it changed in each of the last `persistFrames` frames; the region is the bounding box, in
// tiles, of the largest 4-connected group of hot tiles (a lone clock or cursor elsewhere must not stretch it), and
// only once it is big enough to be worth a video stream. It then holds (growing when the group grows out of it)
// until it has been quiet for `quietMs`: a region that flickers on and off would cost a key frame each time.
import { type Geometry, gridShape, sameGeometry } from '../../../shared/protocol/geometry';
import { type MotionRegion, motionRect } from '../../../shared/protocol/motion';

export interface MotionDetectorOptions {
  persistFrames: number;
  /** big enough: at least this share of all tiles... */
  minTileShare: number;
  /** ...or at least this many pixels */
  minPixels: number;
  /** a region in which under `quietShare` of the tiles change for this long ends */
  quietMs: number;
  quietShare: number;
}

export const DEFAULT_MOTION_DETECTOR: MotionDetectorOptions = {
  persistFrames: 3,
  minTileShare: 0.25,
  minPixels: 640 * 360,
  quietMs: 600,
  quietShare: 0.1,
};

export class MotionDetector {
  private geometry: Geometry | null = null;
  private streak = new Uint16Array(0);
  private changedNow = new Uint8Array(0);
  private region: MotionRegion | null = null;
  private activeAt = 0;

  constructor(private readonly options: MotionDetectorOptions = DEFAULT_MOTION_DETECTOR) {}

  get current(): MotionRegion | null {
    return this.region;
  }

  /** Feeds one frame's changed tile indices; returns the region in force for this frame (null: none). */
  update(g: Geometry, changed: readonly number[], now: number): MotionRegion | null {
    const { columns, rows, tiles } = gridShape(g);
    if (!sameGeometry(g, this.geometry)) {
      this.geometry = { ...g };
      this.streak = new Uint16Array(tiles);
      this.changedNow = new Uint8Array(tiles);
      this.region = null;
    }
    this.changedNow.fill(0);
    for (const i of changed) this.changedNow[i] = 1;
    for (let i = 0; i < tiles; i++) this.streak[i] = this.changedNow[i] ? Math.min(this.streak[i] + 1, 0xffff) : 0;

    const group = this.largestHotGroup(columns, rows);
    const bigEnough = group && this.bigEnough(g, group, tiles);
    if (this.region) {
      if (this.activity(this.region, columns) >= this.options.quietShare) this.activeAt = now;
      if (bigEnough && !inside(group, this.region)) this.region = grow(this.region, group, columns, rows);
      else if (now - this.activeAt > this.options.quietMs) this.region = null;
    } else if (bigEnough) {
      this.region = group;
      this.activeAt = now;
    }
    return this.region;
  }

  /** Forget everything (a new source, or motion switched off). */
  reset(): void {
    this.geometry = null;
    this.region = null;
  }

  private bigEnough(g: Geometry, r: MotionRegion, tiles: number): boolean {
    const rect = motionRect(g, r);
    return (
      r.columns * r.rows >= this.options.minTileShare * tiles || rect.width * rect.height >= this.options.minPixels
    );
  }

  /** Share of the region's tiles that changed in this frame. */
  private activity(r: MotionRegion, columns: number): number {
    let n = 0;
    for (let row = r.row; row < r.row + r.rows; row++)
      for (let col = r.col; col < r.col + r.columns; col++) n += this.changedNow[row * columns + col];
    return n / (r.columns * r.rows);
  }

  /** Bounding box of the largest 4-connected group of tiles hot for `persistFrames` frames (flood fill). */
  private largestHotGroup(columns: number, rows: number): MotionRegion | null {
    const hot = (i: number) => this.streak[i] >= this.options.persistFrames;
    const seen = new Uint8Array(columns * rows);
    const stack: number[] = [];
    let best: MotionRegion | null = null;
    let bestSize = 0;
    for (let start = 0; start < seen.length; start++) {
      if (seen[start] || !hot(start)) continue;
      let size = 0;
      let [c0, r0, c1, r1] = [columns, rows, -1, -1];
      seen[start] = 1;
      stack.push(start);
      while (stack.length) {
        const i = stack.pop()!;
        const col = i % columns;
        const row = (i - col) / columns;
        size++;
        c0 = Math.min(c0, col);
        c1 = Math.max(c1, col);
        r0 = Math.min(r0, row);
        r1 = Math.max(r1, row);
        const next = [col > 0 ? i - 1 : -1, col < columns - 1 ? i + 1 : -1, i - columns, i + columns];
        for (const j of next) {
          if (j < 0 || j >= seen.length || seen[j] || !hot(j)) continue;
          seen[j] = 1;
          stack.push(j);
        }
      }
      if (size > bestSize) {
        bestSize = size;
        best = { col: c0, row: r0, columns: c1 - c0 + 1, rows: r1 - r0 + 1 };
      }
    }
    return best;
  }
}

function inside(a: MotionRegion, b: MotionRegion): boolean {
  return a.col >= b.col && a.row >= b.row && a.col + a.columns <= b.col + b.columns && a.row + a.rows <= b.row + b.rows;
}

function union(a: MotionRegion, b: MotionRegion): MotionRegion {
  const col = Math.min(a.col, b.col);
  const row = Math.min(a.row, b.row);
  return {
    col,
    row,
    columns: Math.max(a.col + a.columns, b.col + b.columns) - col,
    rows: Math.max(a.row + a.rows, b.row + b.rows) - row,
  };
}

/**
 * `region` grown to take in `group`, and a quarter of the grown size further on each side it had to grow, within
 * the grid: every new size is a new video stream (a key frame, and the region's tiles planned again), so a window
 * moving across the screen makes a few steps of growth, not one per tile it moves (~25 in 4 s at 1920x1080).
 */
function grow(region: MotionRegion, group: MotionRegion, columns: number, rows: number): MotionRegion {
  const u = union(region, group);
  const across = Math.ceil(u.columns / 4);
  const down = Math.ceil(u.rows / 4);
  const col0 = u.col < region.col ? Math.max(0, u.col - across) : u.col;
  const row0 = u.row < region.row ? Math.max(0, u.row - down) : u.row;
  const col1 =
    u.col + u.columns > region.col + region.columns ? Math.min(columns, u.col + u.columns + across) : u.col + u.columns;
  const row1 = u.row + u.rows > region.row + region.rows ? Math.min(rows, u.row + u.rows + down) : u.row + u.rows;
  return { col: col0, row: row0, columns: col1 - col0, rows: row1 - row0 };
}

/** The tile indices of a region, row by row. */
export function regionTiles(g: Geometry, r: MotionRegion): number[] {
  const { columns } = gridShape(g);
  const out: number[] = [];
  for (let row = r.row; row < r.row + r.rows; row++)
    for (let col = r.col; col < r.col + r.columns; col++) out.push(row * columns + col);
  return out;
}
