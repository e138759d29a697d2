// A viewer's view of the screen: per tile the newest unsent entry, plus a queue of dirty tile indices.
// Each index is queued at most once (a queued bit guards the ring), so memory is O(tiles) however far
// behind the viewer is; a newer tile simply replaces the unsent older one (counted as coalesced).
// Memory is allocated on the first put and reused across geometry changes (grown, never shrunk); a reset only
// clears what is still queued, so a geometry change costs O(pending) per viewer, not O(tiles). Worst case per
// viewer: 13 bytes x --max-tiles-per-room (8 for the slot, 1 queued bit, 4 in the ring).
import type { TileEntry } from '../frames/tile-entry';

export class TileGrid {
  private tiles = 0;
  /** invariant: slots[i] !== null implies queued[i] === 1, and exactly `count` indices are queued */
  private slots: (TileEntry | null)[] = [];
  private queued = new Uint8Array(0);
  private ring = new Uint32Array(0);
  private head = 0;
  private count = 0;
  /** tiles replaced before they were sent: the frames this viewer skipped, tile by tile (running total, for stats) */
  coalesced = 0;
  /** the same since the viewer's last sync: what that sync reports as `skipped`; the sender zeroes it at each sync */
  coalescedSinceSync = 0;

  constructor(tiles = 0) {
    this.reset(tiles);
  }

  get size(): number {
    return this.tiles;
  }

  /** tiles the allocated memory can hold (>= size once anything was put) */
  get capacity(): number {
    return this.slots.length;
  }

  /** dirty tiles waiting to be sent */
  get pending(): number {
    return this.count;
  }

  /** Empties the grid for `tiles` tiles: clears only what is queued and keeps the memory for the next put. */
  reset(tiles: number): void {
    while (this.take()) {
      // take() clears each queued slot
    }
    this.tiles = tiles;
    this.head = 0;
  }

  /** Whether a tile at `index` is waiting to be sent. */
  holds(index: number): boolean {
    return this.slots[index] != null;
  }

  put(entry: TileEntry): void {
    const i = entry.index;
    if (this.slots.length < this.tiles) this.grow();
    if (this.slots[i]) {
      this.coalesced++;
      this.coalescedSinceSync++;
    }
    this.slots[i] = entry;
    if (this.queued[i] === 0) {
      this.queued[i] = 1;
      let tail = this.head + this.count;
      if (tail >= this.ring.length) tail -= this.ring.length;
      this.ring[tail] = i;
      this.count++;
    }
  }

  /** Allocates for the current size. Only reached after a reset to a larger size, so nothing is queued. */
  private grow(): void {
    const n = this.tiles;
    this.slots = new Array<TileEntry | null>(n).fill(null);
    this.queued = new Uint8Array(n);
    this.ring = new Uint32Array(n);
    this.head = 0;
  }

  /** The tile `take()` returns next, left in the grid. */
  peek(): TileEntry | null {
    while (this.count > 0) {
      const i = this.ring[this.head];
      const entry = this.slots[i];
      if (entry) return entry;
      // a queued index without a tile: drop it, as take() does
      this.head = this.head + 1 === this.ring.length ? 0 : this.head + 1;
      this.count--;
      this.queued[i] = 0;
    }
    return null;
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
