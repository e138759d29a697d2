// Which tiles go as still tiles while a motion region is active. Outside the region every changed tile does, as
// without one. Inside it the video shows the changes, and the server's copy of a tile (ScreenShot, late joiners,
// recordings, snapshots) is kept at most `refreshMs` behind: a changed tile is sent once its turn comes, oldest
// change first, within a budget that covers the whole region once per refresh period. A tile that did not change
// since it was last sent is not sent again (the desktop under two moving windows costs nothing), and when the region
// moves, shrinks or ends, the tiles it leaves are all sent, so viewers get them crisp where they showed video. The
// video chunk paints only the tiles the server does not have as stills (the mask).
// Pure (no browser API) so it is unit tested.
import { type Geometry, gridShape, sameGeometry } from '../../../shared/protocol/geometry';
import { type MotionRegion, markMotionMask, motionMaskBytes, sameRegion } from '../../../shared/protocol/motion';
import { regionTiles } from './motion-detector';

/**
 * Every changed tile of the region reaches the server within REFRESH_MS, whatever the frame rate; a region of more
 * than REFRESH_TILES_PER_SECOND x 1.5 tiles takes longer (a 1920x1080 screen: 3 s). The refresh is PNG work on the
 * presenter and decode work on every viewer: at 1920x1080 a 1.5 s refresh was 19 of every frame's tiles, and 3 s
 * took the moving-windows class from 13.2-13.4 to 13.7-15.4 fps (same machine, same run setup).
 */
const REFRESH_MS = 1500;
const REFRESH_TILES_PER_SECOND = 125;

export const refreshMs = (regionTiles: number): number =>
  Math.max(REFRESH_MS, (regionTiles / REFRESH_TILES_PER_SECOND) * 1000);

export interface StillsPlan {
  /** tile indices to send as still tiles, ascending */
  stills: number[];
  /** the region's tiles not in `stills`: they go too if the frame's video chunk does not come */
  held: number[];
  /**
   * The motion mask for the frame's video chunk (see MotionFlag.Masked): the region's tiles that changed since the
   * server last had them as a still (this frame's changes not sent as stills, and older ones still waiting for
   * their turn). Viewers paint the video there only, so what did not change keeps its sharp still tile (the
   * desktop around moving windows), a tile refreshed as a still in this frame is not painted over, and a viewer
   * that resumes at a key (it joined, or dropped deltas) gets every tile its stills do not have yet. Null without
   * a region.
   */
  mask: Uint8Array | null;
}

export class RegionStills {
  private geometry: Geometry | null = null;
  /** per tile, when its oldest change the server does not have happened; NaN when the server has the tile */
  private changedAt = new Float64Array(0);
  private inRegion = new Uint8Array(0);
  /** when the region's refresh budget was last counted, and the tiles it allows that were not sent yet (< 1 each) */
  private budgetAt = 0;
  private credit = 0;

  /**
   * Plans one frame: `changed` are the tiles that changed in it, `before` and `region` the motion region before
   * and for this frame (null: none). `full`: every tile goes (a new connection or geometry).
   */
  plan(
    g: Geometry,
    changed: readonly number[],
    before: MotionRegion | null,
    region: MotionRegion | null,
    full: boolean,
    now: number,
  ): StillsPlan {
    const { tiles } = gridShape(g);
    let previous = before;
    if (!sameGeometry(g, this.geometry)) {
      this.geometry = { ...g };
      this.changedAt = new Float64Array(tiles).fill(Number.NaN);
      this.inRegion = new Uint8Array(tiles);
      // A region on the old grid has no tiles on this one (its indices would lie elsewhere, or past the end); a
      // new geometry's first frame is full anyway.
      previous = null;
    }
    const moved = previous !== null && !sameRegion(previous, region);
    const inside = region ? regionTiles(g, region) : [];
    this.inRegion.fill(0);
    for (const i of inside) this.inRegion[i] = 1;
    const send = new Set<number>();
    // Tiles the region leaves: the server's copy may be behind, and viewers show video there.
    if (previous && moved) for (const i of regionTiles(g, previous)) if (!this.inRegion[i]) send.add(i);
    if (!region || full) {
      for (const i of changed) send.add(i);
      return { stills: this.sent(send), held: [], mask: region ? new Uint8Array(motionMaskBytes(region)) : null };
    }
    for (const i of changed) {
      if (!this.inRegion[i]) send.add(i);
      else if (Number.isNaN(this.changedAt[i])) this.changedAt[i] = now;
    }
    // A new region's changed tiles just went out as stills (they changed in the frames before it): its refresh
    // budget starts now.
    if (previous === null || moved) {
      this.budgetAt = now;
      this.credit = 0;
    }
    const share = Math.min(1, Math.max(0, now - this.budgetAt) / refreshMs(inside.length));
    this.budgetAt = now;
    this.credit += inside.length * share;
    const due = inside.filter((i) => !Number.isNaN(this.changedAt[i]));
    due.sort((a, b) => this.changedAt[a] - this.changedAt[b]);
    const count = Math.min(due.length, Math.floor(this.credit));
    for (let k = 0; k < count; k++) send.add(due[k]);
    // Budget unused for want of changes is not saved up: a burst of changes later is spread out as usual.
    this.credit = Math.min(this.credit - count, 1);
    const stills = this.sent(send);
    const mask = new Uint8Array(motionMaskBytes(region));
    inside.forEach((i, k) => {
      if (!Number.isNaN(this.changedAt[i])) markMotionMask(mask, k);
    });
    return { stills, held: inside.filter((i) => !send.has(i)), mask };
  }

  /** The server gets these tiles now: sorted, and marked as held by the server. */
  private sent(tiles: Set<number>): number[] {
    const out = [...tiles].sort((a, b) => a - b);
    for (const i of out) this.changedAt[i] = Number.NaN;
    return out;
  }
}
