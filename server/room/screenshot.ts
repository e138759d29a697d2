// The room's newest full tile set: a single-writer double buffer with deferred release.
// A published generation is replaced by the next frame, released when that one is replaced in turn, and only
// then recycled as a back buffer, so a reader that took a generation (a late joiner's keyframe, a snapshot
// encode) never sees it reused under it, and a frame costs no allocation once two buffers exist. A recycled
// buffer is two frames behind: it catches up by replaying those two frames' tiles, so a frame costs what it
// changed, not the whole grid (510 entries at 1920x1080 in 64 px tiles; a typing frame changes one or two).
import { type Geometry, gridShape } from '../../shared/protocol';
import { DOUBLE_ZERO } from '../double-zero';
import { RoomLimitError } from '../errors';
import type { IngestedFrame, Keyframe, TileEntry } from '../frames/tile-entry';

export interface ScreenShotView extends Keyframe {
  readonly geometry: Geometry | null;
  readonly tiles: readonly (TileEntry | null)[];
  /** seq and capture time of the newest frame in it */
  readonly seq: number;
  readonly captureTs: number;
  /** ingest number of the newest frame in it */
  readonly ingestNo: number;
  /** sum of tile message bytes */
  readonly bytes: number;
  /** tiles that hold an image */
  readonly filled: number;
}

class Generation implements ScreenShotView {
  seq = 0;
  captureTs = DOUBLE_ZERO;
  ingestNo = 0;
  bytes = 0;
  filled = 0;
  /** applies since the last reset that made this picture; -1 when that is unknown (new, or holds a refused frame) */
  version = -1;
  /** the tiles of the frame that made it from the generation before (replayed by a buffer that is behind) */
  frameTiles: readonly TileEntry[] = [];
  constructor(
    public geometry: Geometry | null,
    public tiles: (TileEntry | null)[],
  ) {}
}

export class ScreenShot {
  private front: Generation;
  /** replaced by `front`; still safe to read until the next apply */
  private retired: Generation | null = null;
  /** released: the next apply writes into it */
  private spare: Generation | null = null;

  constructor(private readonly maxBytes: number) {
    this.front = new Generation(null, []);
  }

  current(): ScreenShotView {
    return this.front;
  }

  /** Starts an empty picture for a new geometry; every generation is dropped (their tiles no longer fit). */
  reset(geometry: Geometry | null): void {
    const tiles = geometry ? new Array<TileEntry | null>(gridShape(geometry).tiles).fill(null) : [];
    this.front = new Generation(geometry, tiles);
    this.front.version = 0;
    this.retired = null;
    this.spare = null;
  }

  /** Applies a frame into the back buffer and publishes it. Throws RoomLimitError (nothing published) if over the byte cap. */
  apply(frame: IngestedFrame): ScreenShotView {
    const front = this.front;
    const back = this.spare ?? new Generation(front.geometry, new Array(front.tiles.length));
    this.spare = null;
    this.catchUp(back, front);
    let bytes = front.bytes;
    let filled = front.filled;
    for (const tile of frame.tiles) {
      const old = back.tiles[tile.index];
      if (old) bytes -= old.message.byteLength;
      else filled++;
      bytes += tile.message.byteLength;
      back.tiles[tile.index] = tile;
    }
    if (bytes > this.maxBytes) {
      back.version = -1; // holds the refused frame's tiles: the next apply copies the picture whole
      this.spare = back;
      throw new RoomLimitError(`ScreenShot would hold ${bytes} bytes, room limit is ${this.maxBytes}`);
    }
    this.retain(frame, front, back);
    back.bytes = bytes;
    back.filled = filled;
    back.seq = frame.seq;
    back.captureTs = frame.captureTs;
    back.ingestNo = frame.ingestNo;
    back.version = front.version + 1;
    back.frameTiles = frame.tiles;
    // Deferred release: the generation replaced last time is only now given back for reuse.
    this.spare = this.retired;
    this.retired = front;
    this.front = back;
    return back;
  }

  /**
   * Makes `back` hold `front`'s tiles. A recycled buffer is normally the picture two applies old: replaying the
   * retired generation's frame and then the front's brings it level. Anything else (new, refused) is copied whole.
   */
  private catchUp(back: Generation, front: Generation): void {
    back.geometry = front.geometry;
    const retired = this.retired;
    if (back.version >= 0 && back.version === front.version - 2 && retired?.version === front.version - 1) {
      for (const tile of retired.frameTiles) back.tiles[tile.index] = tile;
      for (const tile of front.frameTiles) back.tiles[tile.index] = tile;
      return;
    }
    if (back.tiles.length !== front.tiles.length) back.tiles.length = front.tiles.length;
    for (let i = 0; i < front.tiles.length; i++) back.tiles[i] = front.tiles[i];
  }

  /**
   * Counts the tiles this frame replaced out of their frames' shared buffers, and gives the survivors of a mostly
   * replaced buffer buffers of their own (see frame-block.ts): what the picture keeps alive stays within about twice
   * its bytes. A tile replaced by a later record of the same frame leaves its own buffer.
   */
  private retain(frame: IngestedFrame, front: Generation, back: Generation): void {
    for (const tile of frame.tiles) {
      const gone = back.tiles[tile.index] === tile ? front.tiles[tile.index] : tile;
      if (gone?.block?.superseded(gone)) gone.block.release(back.tiles);
    }
  }
}
