// A room's picture as shared Frame parts for joiners (one copy per room at most). Parts, not tile messages, even for
// the first joiner on a picture: a browser pays per message (a 1080p keyframe as 514 tile messages took 294-363 ms
// to a full picture and 500-570 ms of browser CPU, as 23 parts 226-243 ms and 340-410 ms;
// client/bench/probes/late-join-1080p.ts --new-picture). Building them copies the whole ScreenShot, and in a live
// room nearly every joiner comes after a newer frame. So the parts outlive frames: a joiner gets them as built,
// plus, through its grid, the tiles that changed since. They are built again once what a joiner would get in vain
// (the replaced tiles) passes a quarter of their bytes, or the changed tiles (each its own message) an eighth of
// their tiles. Joins in bursts on a calm picture (slides, typing) share one copy; the load generator's scene, with
// a video region, moves past those limits between most joins of the bench's 50-room point (97 of 100 rebuilt).
// What it keeps alive: the parts (one copy of the picture) and the entries they were built from. A replaced entry
// still holds its frame's buffer (frame-block.ts), so the cache can keep what the picture held at the build (at
// most about twice its bytes) until the parts are built again or the geometry changes.
import { FrameParts } from '../frames/frame-parts';
import type { IngestedFrame, Keyframe, TileEntry } from '../frames/tile-entry';

/** what a joiner at a keyframe is owed: the parts, and the keyframe's tiles the parts do not hold */
export interface JoinParts {
  parts: FrameParts;
  /** tile indices whose keyframe entry is newer than the one in the parts */
  changed: readonly number[];
  /** the parts end exactly at the keyframe's position: their last part may carry its sync */
  current: boolean;
}

/** the share of the parts' bytes a joiner may be sent in vain before they are built again */
const MAX_STALE_SHARE = 1 / 4;
/** the share of the parts' tiles a joiner may be sent on top of them, one message each */
const MAX_CHANGED_SHARE = 1 / 8;

export class JoinCache {
  private parts: FrameParts | null = null;
  private ingestNo = 0;
  /** per tile index, the entry the parts hold (null: none) */
  private picture: (TileEntry | null)[] = [];
  private isChanged = new Uint8Array(0);
  private changed: number[] = [];
  private tileBytes = 0;
  /** bytes of the parts' entries that newer frames replaced */
  private staleBytes = 0;

  /** A frame moved the picture on: its tiles are now owed on top of the parts; too many drop them. */
  frame(frame: IngestedFrame): void {
    if (!this.parts) return;
    for (const tile of frame.tiles) {
      const i = tile.index;
      if (this.isChanged[i]) continue;
      this.isChanged[i] = 1;
      this.changed.push(i);
      this.staleBytes += this.picture[i]?.message.byteLength ?? 0;
    }
    if (
      this.staleBytes > this.tileBytes * MAX_STALE_SHARE ||
      this.changed.length > this.parts.tiles.length * MAX_CHANGED_SHARE
    )
      this.clear();
  }

  /** Forgets the parts (a new geometry, or too stale). */
  clear(): void {
    this.parts = null;
    this.picture = [];
    this.changed = [];
  }

  /** The parts for a joiner at `keyframe`, cut at `partBytes`; built when there are none that fit. */
  get(keyframe: Keyframe, partBytes: number): JoinParts {
    const tiles = keyframe.tiles;
    if (!this.parts || this.parts.partBytes !== partBytes || this.picture.length !== tiles.length)
      this.build(keyframe, partBytes);
    return { parts: this.parts!, changed: this.changed, current: this.ingestNo === keyframe.ingestNo };
  }

  private build(keyframe: Keyframe, partBytes: number): void {
    const entries: TileEntry[] = [];
    for (const tile of keyframe.tiles) if (tile) entries.push(tile);
    this.parts = new FrameParts(entries, keyframe.seq, keyframe.captureTs, partBytes);
    this.ingestNo = keyframe.ingestNo;
    this.picture = keyframe.tiles.slice();
    if (this.isChanged.length !== keyframe.tiles.length) this.isChanged = new Uint8Array(keyframe.tiles.length);
    else this.isChanged.fill(0);
    this.changed = [];
    this.staleBytes = 0;
    this.tileBytes = 0;
    for (const bytes of this.parts.tileBytes) this.tileBytes += bytes;
  }
}
