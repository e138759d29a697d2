// One received tile and one ingested frame: the values ingest makes and the ScreenShot, the fan-out and observers
// share. Below room/ and fanout/ (both read it, neither owns it).
// A tile entry is copied once into memory the server owns, then shared by the ScreenShot and every viewer.
import type { Geometry } from '../../shared/protocol';
import type { FrameBlock } from './frame-block';
import type { FrameParts } from './frame-parts';

export interface TileEntry {
  /** row * columns + col */
  readonly index: number;
  readonly col: number;
  readonly row: number;
  /**
   * a complete Tile message (header + encoded image); sent as is to every viewer. A view into its frame's buffer
   * until the ScreenShot's retention rule gives it a buffer of its own (same bytes).
   */
  message: Uint8Array;
  /** the shared frame buffer `message` is a view into (see frame-block.ts); null or absent once it owns its bytes */
  block?: FrameBlock | null;
  /** frame sequence number that produced this tile */
  readonly seq: number;
}

/** Where a picture stands in the room's stream: its newest frame. */
export interface StreamPosition {
  readonly ingestNo: number;
  readonly seq: number;
  /** presenter's capture clock, ms since the epoch */
  readonly captureTs: number;
}

/** A whole picture: per tile index the newest entry (null where none came yet), and the newest frame in it. */
export interface Keyframe extends StreamPosition {
  readonly tiles: readonly (TileEntry | null)[];
}

/** A frame after ingest: what the fan-out, the ScreenShot and observers (recording) see. */
export interface IngestedFrame extends StreamPosition {
  seq: number;
  /** presenter's capture clock, ms since the epoch */
  captureTs: number;
  /** server clock when the frame was received */
  receivedAt: number;
  tiles: readonly TileEntry[];
  /** monotonically increasing per room; used to tell which viewers a frame applies to */
  ingestNo: number;
  /** the frame's tiles as server -> viewer Frame messages, built once on first use and shared by all */
  parts?: FrameParts;
  /** the whole frame as one server -> viewer Frame with EndsWithSync (ingest's copy), when ingest made one */
  synced?: Uint8Array;
}

export interface GeometryChange {
  geometry: Geometry;
  receivedAt: number;
  ingestNo: number;
}
