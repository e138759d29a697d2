// A viewer's view of the screen: per tile the newest unsent entry, plus a queue of dirty tile indices.
// Each index is queued at most once (a queued bit guards the ring), so memory is O(tiles) however far
// behind the viewer is; a newer tile simply replaces the unsent older one (counted as coalesced).
import type { TileEntry } from '../room/tile-entry';

export class TileGrid {
  private slots: (TileEntry | null)[] = [];
  private queued = new Uint8Array(0);
  private ring = new Uint32Array(0);
  private head = 0;
  private count = 0;
  /** tiles replaced before they were sent: the frames this viewer skipped, tile by tile */
  coalesced = 0;

  constructor(tiles = 0) {
    this.reset(tiles);
  }

  get size(): number {
    return this.slots.length;
  }

  /** dirty tiles waiting to be sent */
  get pending(): number {
    return this.count;
  }

  /** Empties the grid for `tiles` tiles, reusing its memory when the size is unchanged. */
  reset(tiles: number): void {
    if (tiles !== this.slots.length) {
      this.slots = new Array<TileEntry | null>(tiles).fill(null);
      this.queued = new Uint8Array(tiles);
      this.ring = new Uint32Array(tiles);
    } else {
      this.slots.fill(null);
      this.queued.fill(0);
    }
    this.head = 0;
    this.count = 0;
  }

  put(entry: TileEntry): void {
    const i = entry.index;
    if (this.slots[i]) this.coalesced++;
    this.slots[i] = entry;
    if (this.queued[i] === 0) {
      this.queued[i] = 1;
      let tail = this.head + this.count;
      if (tail >= this.ring.length) tail -= this.ring.length;
      this.ring[tail] = i;
      this.count++;
    }
  }

  /** The next dirty tile in the order it first became dirty, or null when the grid is clean. */
  take(): TileEntry | null {
    while (this.count > 0) {
      const i = this.ring[this.head];
      this.head = this.head + 1 === this.ring.length ? 0 : this.head + 1;
      this.count--;
      this.queued[i] = 0;
      const entry = this.slots[i];
      // Release the reference once sent: the ScreenShot keeps the picture, the viewer only what it still owes.
      this.slots[i] = null;
      if (entry) return entry;
    }
    return null;
  }
}
