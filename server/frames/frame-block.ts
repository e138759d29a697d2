// One ingested frame's buffer, shared by its tile entries: ingest copies the presenter's message once and every
// tile entry is a view into that copy (one allocation per frame instead of one per tile, which V8 pays for in
// ArrayBuffer bookkeeping and garbage collection). A tile that stays on screen would keep its whole frame alive;
// the ScreenShot counts how many of a block's bytes are still current and, once fewer than half are, gives the
// survivors buffers of their own (`release`), so a room holds at most about twice its ScreenShot's bytes.
import type { TileEntry } from './tile-entry';

export class FrameBlock {
  /** tile bytes of the frame */
  readonly bytes: number;
  /** tile bytes of this block still current in the ScreenShot */
  live: number;
  private released = false;

  /** Links a frame's tiles, all views into one buffer, to a block that tracks them. */
  static link(entries: readonly TileEntry[]): void {
    new FrameBlock(entries);
  }

  private constructor(private entries: readonly TileEntry[]) {
    let bytes = 0;
    for (const entry of entries) {
      entry.block = this;
      bytes += entry.message.byteLength;
    }
    this.live = bytes;
    this.bytes = bytes;
  }

  /** A tile of this block left the picture; true when the block is now mostly dead and should be released. */
  superseded(entry: TileEntry): boolean {
    this.live -= entry.message.byteLength;
    return !this.released && this.live > 0 && this.live * 2 < this.bytes;
  }

  /**
   * Copies each tile the `picture` still holds into a buffer of its own, in place (every holder of the entry, a
   * viewer's grid or a reader of an older generation, sees the same bytes), and lets the shared buffer go.
   */
  release(picture: readonly (TileEntry | null)[]): void {
    this.released = true;
    for (const entry of this.entries) {
      if (entry.block !== this || picture[entry.index] !== entry) continue;
      entry.message = entry.message.slice();
      entry.block = null;
    }
    this.entries = [];
  }
}
