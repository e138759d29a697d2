// A run of tiles (one frame, or a whole keyframe for joiners) as server -> viewer Frame messages of at most
// `partBytes` each, built once and sent as is to every viewer that is owed them. Parts matter on uWS, whose socket
// buffers never shrink (see server/transport/uws.ts): a joiner's keyframe goes in parts that fit the engine's 16 KiB
// cork buffer, and a live frame's parts bound how far past its high-water mark a held viewer's buffer grows. On ws
// `partBytes` is Infinity: one message per frame. When a frame is one part, the part is ingest's own copy of it.
import { FRAME_HEADER_BYTES, FrameFlag, writeFrameHeader } from '../../shared/protocol';
import type { TileEntry } from './tile-entry';

const NO_PARTS: Uint8Array[] = [];

export class FrameParts {
  /** records of part i are tiles[ends[i - 1] .. ends[i]) (ends[-1] = 0) */
  readonly ends: number[];
  /** tile bytes in part i (what a viewer is counted as sent) */
  readonly tileBytes: number[];
  /** every part but the last, shared by both variants */
  private readonly leading: Uint8Array[];
  private plainLast: Uint8Array | null = null;
  private syncedLast: Uint8Array | null = null;

  constructor(
    readonly tiles: readonly TileEntry[],
    private readonly seq: number,
    private readonly captureTs: number,
    readonly partBytes: number,
    /**
     * The whole run as one Frame with EndsWithSync, if the caller has it: the last part when the run is a single
     * part, else sent in place of every part to a viewer that may take it in one write (see Sender.sendWhole).
     */
    readonly whole?: Uint8Array,
  ) {
    // Two passes, so the arrays are made at their size: most live frames are one part, built for every frame.
    const count = this.split(null, null);
    this.ends = new Array(count);
    this.tileBytes = new Array(count);
    this.split(this.ends, this.tileBytes);
    this.leading = count > 1 ? new Array(count - 1) : NO_PARTS;
    for (let p = 0; p < count - 1; p++) this.leading[p] = this.build(p, 0);
    if (whole && count === 1) this.syncedLast = whole;
  }

  /**
   * Cuts the tiles into parts of at most partBytes (a tile larger than a part goes alone; a part never has more
   * records than a u16 counts); fills `ends` and `tileBytes` when given. Returns the number of parts.
   */
  private split(ends: number[] | null, tileBytes: number[] | null): number {
    const tiles = this.tiles;
    let parts = 0;
    let start = 0;
    let bytes = FRAME_HEADER_BYTES;
    for (let t = 0; t < tiles.length; t++) {
      const size = tiles[t].message.byteLength;
      if ((bytes + size > this.partBytes && t > start) || t - start === 0xffff) {
        if (ends && tileBytes) {
          ends[parts] = t;
          tileBytes[parts] = bytes - FRAME_HEADER_BYTES;
        }
        parts++;
        start = t;
        bytes = FRAME_HEADER_BYTES;
      }
      bytes += size;
    }
    if (ends && tileBytes) {
      ends[parts] = tiles.length;
      tileBytes[parts] = bytes - FRAME_HEADER_BYTES;
    }
    return parts + 1;
  }

  get count(): number {
    return this.ends.length;
  }

  /** where part `p`'s records start in `tiles` */
  start(p: number): number {
    return p === 0 ? 0 : this.ends[p - 1];
  }

  /** The size of part `p`'s message, built or not. */
  bytes(p: number): number {
    return FRAME_HEADER_BYTES + this.tileBytes[p];
  }

  /** Part `p`; the last one with FrameFlag.EndsWithSync when `synced` (it then also announces the frame). */
  message(p: number, synced: boolean): Uint8Array {
    if (p < this.leading.length) return this.leading[p];
    if (synced) return (this.syncedLast ??= this.build(p, FrameFlag.EndsWithSync));
    return (this.plainLast ??= this.build(p, 0));
  }

  /** One copy per part (not per viewer): header + each tile message, already stamped with the frame's seq. */
  private build(p: number, flags: number): Uint8Array {
    const from = this.start(p);
    const to = this.ends[p];
    let bytes = FRAME_HEADER_BYTES;
    for (let t = from; t < to; t++) bytes += this.tiles[t].message.byteLength;
    const part = new Uint8Array(bytes);
    writeFrameHeader(new DataView(part.buffer), 0, flags, this.seq, this.captureTs, to - from);
    let offset = FRAME_HEADER_BYTES;
    for (let t = from; t < to; t++) {
      part.set(this.tiles[t].message, offset);
      offset += this.tiles[t].message.byteLength;
    }
    return part;
  }
}
