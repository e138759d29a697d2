// Per-viewer fan-out state: the tile grid, what picture it has been promised, and counters. Only fanout/ writes
// it (Fanout for the life cycle, Sender for what went out); the rest of the server holds a ViewerHandle.
import { DOUBLE_ZERO } from '../double-zero';
import type { FrameParts } from '../frames/frame-parts';
import type { IngestedFrame, Keyframe, StreamPosition } from '../frames/tile-entry';
import type { Connection } from '../transport/types';
import type { JoinParts } from './join-cache';
import { TileGrid } from './tile-grid';

/** What the rest of the server holds of a viewer: who it is. Its state belongs to the Fanout that made it. */
export interface ViewerHandle {
  readonly id: number;
  readonly conn: Connection;
}

/** Per-viewer fan-out state, for operators and tests: what each one still owes and has skipped. */
export interface ViewerStats {
  id: number;
  /** dirty tiles not yet sent: never more than gridTiles */
  pending: number;
  gridTiles: number;
  /** bytes the engine holds for this socket in user space */
  buffered: number;
  coalesced: number;
  tilesSent: number;
  bytesOut: number;
  syncs: number;
  /** syncs the viewer acknowledged painting; null while it does not ack */
  acked: number | null;
}

export class Viewer implements ViewerHandle {
  readonly grid = new TileGrid();
  /** frames with ingestNo <= this are already in the grid (the keyframe it joined with) */
  joinedAtIngest = 0;
  /** newest frame applied to the grid (written only by `advance` and `reset`), and the one the last sync announced */
  stateIngest = 0;
  stateSeq = 0;
  stateCaptureTs = DOUBLE_ZERO;
  syncedIngest = 0;
  /** latest status and cursor messages not yet sent: latest wins, so a stalled viewer never piles them up */
  pendingStatus: Uint8Array | null = null;
  pendingCursor: Uint8Array | null = null;
  /** when the viewer was first owed the count it still owes (performance.now()); see Fanout.status */
  statusOwedAt = DOUBLE_ZERO;
  /** the owed status only changed the viewer count, so it may wait for a frame to ride with */
  statusCanWait = false;
  /**
   * Shared Frame messages owed from `nextPart` on: the whole newest frame for a caught-up viewer, or a joiner's
   * keyframe (see Sender.sendFrame). With the grid they always hold the picture at `stateIngest` (a joiner's parts
   * may be older, the tiles changed since waiting in the grid): a newer frame spills what is left of them into the
   * grid first. With `partsSynced` the last part also announces that picture.
   */
  parts: FrameParts | null = null;
  nextPart = 0;
  partsSynced = false;
  tilesSent = 0;
  bytesOut = DOUBLE_ZERO;
  syncs = 0;
  /** syncs the viewer said it painted; only counts once it has acked at least once */
  acked = 0;
  acking = false;
  closed = false;
  /** bound once by the Sender, so a drain never allocates */
  flush: () => void = () => {};

  constructor(
    readonly id: number,
    readonly conn: Connection,
  ) {}

  /**
   * Starts from a whole picture: shared Frame messages of it as it was when they were built (the last one with its
   * sync when that is still now), then, through the grid, the tiles that changed since.
   */
  loadParts(keyframe: Keyframe, join: JoinParts): void {
    const grid = this.grid;
    grid.reset(keyframe.tiles.length);
    for (const i of join.changed) {
      const tile = keyframe.tiles[i];
      if (tile) grid.put(tile);
    }
    this.owe(join.parts, join.current, keyframe);
  }

  /** Starts from a whole picture: its grid is the keyframe with every tile dirty, sent by the usual sender. */
  load(keyframe: Keyframe): void {
    const grid = this.grid;
    grid.reset(keyframe.tiles.length);
    for (let t = 0; t < keyframe.tiles.length; t++) {
      const tile = keyframe.tiles[t];
      if (tile) grid.put(tile);
    }
    this.advance(keyframe);
  }

  /** A new geometry at stream position `ingestNo`: nothing owed any more, nothing to announce until the next frame. */
  reset(tiles: number, ingestNo: number): void {
    this.grid.reset(tiles);
    this.parts = null;
    this.joinedAtIngest = ingestNo;
    this.stateIngest = this.syncedIngest = ingestNo;
  }

  /** Owes the viewer `parts`, the picture at `to` (with its sync in the last part when `synced`). */
  owe(parts: FrameParts, synced: boolean, to: StreamPosition): void {
    this.parts = parts;
    this.nextPart = 0;
    this.partsSynced = synced;
    this.advance(to);
  }

  /** Whether a flush would send anything: a status, a cursor, parts, tiles or a sync. */
  get owesAnything(): boolean {
    return (
      this.pendingStatus !== null ||
      this.pendingCursor !== null ||
      this.parts !== null ||
      this.grid.pending > 0 ||
      this.syncedIngest < this.stateIngest
    );
  }

  /** Tiles still owed through shared parts. */
  get owedPartTiles(): number {
    const parts = this.parts;
    return parts ? parts.tiles.length - parts.start(this.nextPart) : 0;
  }

  /** Puts a frame's tiles in the grid (to be sent by the next drain) and moves to it. */
  queue(frame: IngestedFrame): void {
    if (this.parts) this.spillParts();
    const grid = this.grid;
    for (let t = 0; t < frame.tiles.length; t++) grid.put(frame.tiles[t]);
    this.advance(frame);
  }

  /**
   * Moves the tiles of parts not yet sent into the grid, ahead of anything newer; their sync is then owed. A tile
   * the grid already holds is newer (a joiner's tiles that changed since its parts were built) and stays.
   */
  private spillParts(): void {
    const parts = this.parts!;
    const grid = this.grid;
    for (let t = parts.start(this.nextPart); t < parts.tiles.length; t++) {
      const tile = parts.tiles[t];
      if (!grid.holds(tile.index)) grid.put(tile);
    }
    this.parts = null;
  }

  /** Latest wins: a stalled viewer is owed only the newest status and cursor, sent before anything else. */
  oweStatus(message: Uint8Array): void {
    this.pendingStatus = message;
    this.statusCanWait = false;
  }

  /** A count change that may wait for the next frame: remembers since when one is owed (the oldest counts). */
  oweStatusSoon(message: Uint8Array, now: number): void {
    if (!this.pendingStatus) {
      this.statusOwedAt = now;
      this.statusCanWait = true;
    }
    this.pendingStatus = message;
  }

  oweCursor(message: Uint8Array | null): void {
    this.pendingCursor = message;
  }

  /** The picture now stands at `to` (the next sync announces it): the one place the state triplet is written. */
  advance(to: StreamPosition): void {
    this.stateIngest = to.ingestNo;
    this.stateSeq = to.seq;
    this.stateCaptureTs = to.captureTs;
  }

  stats(): ViewerStats {
    return {
      id: this.id,
      pending: this.grid.pending + this.owedPartTiles,
      gridTiles: this.grid.size,
      buffered: this.conn.bufferedAmount(),
      coalesced: this.grid.coalesced,
      tilesSent: this.tilesSent,
      bytesOut: this.bytesOut,
      syncs: this.syncs,
      acked: this.acking ? this.acked : null,
    };
  }
}
