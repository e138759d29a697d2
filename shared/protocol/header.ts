// Byte offsets of every fixed header field (from byte 0 of the message, i.e. counting [version][type]), and
// allocation-free readers/writers over them. The only place outside encode/decode that knows a byte offset: the
// server's fan-out and ingest, the recording reader and the load generator's header-only viewer all use these.
// shared/PROTOCOL.md documents the same layouts; test/protocol/protocol-doc.test.ts keeps the two equal.
import { MessageType, PROTOCOL_VERSION, TILE_HEADER_BYTES } from './constants';

/** Bytes 0 and 1 of every binary message and of every tile record. */
export const Common = { version: 0, type: 1 } as const;
/** [flags u8][0 u8][seq u32][captureTs f64][tileCount u16][0 u16], then tile records */
export const FrameField = { flags: 2, seq: 4, captureTs: 8, tileCount: 16 } as const;
/** [codec u8][flags u8][col u16][row u16][seq u32][payloadLength u32], then the payload */
export const TileField = { codec: 2, flags: 3, col: 4, row: 6, seq: 8, payloadLength: 12 } as const;
export const GeometryField = { width: 2, height: 4, tileSize: 6 } as const;
export const CursorField = { visible: 2, x: 4, y: 6 } as const;
/** [flags u8][codec u8][seq u32][captureTs f64][col u16][row u16][columns u16][rows u16][payloadLength u32] */
export const MotionField = {
  flags: 2,
  codec: 3,
  seq: 4,
  captureTs: 8,
  col: 16,
  row: 18,
  columns: 20,
  rows: 22,
  payloadLength: 24,
} as const;
export const SyncField = { seq: 4, captureTs: 8, skipped: 16 } as const;
export const StatusField = { state: 2, viewers: 4 } as const;
export const ErrorField = { code: 2 } as const;

/** Writes a Frame header at `at` (its tile records follow it). */
export function writeFrameHeader(
  view: DataView,
  at: number,
  flags: number,
  seq: number,
  captureTs: number,
  tileCount: number,
): void {
  view.setUint8(at + Common.version, PROTOCOL_VERSION);
  view.setUint8(at + Common.type, MessageType.Frame);
  view.setUint8(at + FrameField.flags, flags);
  view.setUint8(at + FrameField.flags + 1, 0);
  view.setUint32(at + FrameField.seq, seq >>> 0, true);
  view.setFloat64(at + FrameField.captureTs, captureTs, true);
  view.setUint16(at + FrameField.tileCount, tileCount, true);
  view.setUint16(at + FrameField.tileCount + 2, 0, true);
}

export const frameSeq = (view: DataView, at = 0): number => view.getUint32(at + FrameField.seq, true);
export const frameCaptureTs = (view: DataView, at = 0): number => view.getFloat64(at + FrameField.captureTs, true);
export const frameTileCount = (view: DataView, at = 0): number => view.getUint16(at + FrameField.tileCount, true);

export const tileCol = (view: DataView, at = 0): number => view.getUint16(at + TileField.col, true);
export const tileRow = (view: DataView, at = 0): number => view.getUint16(at + TileField.row, true);
export const tileSeq = (view: DataView, at = 0): number => view.getUint32(at + TileField.seq, true);
/** Stamps a tile record's seq in place (the server writes the frame's seq into every record it keeps). */
export const setTileSeq = (view: DataView, at: number, seq: number): void =>
  view.setUint32(at + TileField.seq, seq >>> 0, true);
/** Header plus payload: where the next record of a Frame starts, relative to this one. */
export const tileRecordBytes = (view: DataView, at = 0): number =>
  TILE_HEADER_BYTES + view.getUint32(at + TileField.payloadLength, true);

export const syncSeq = (view: DataView): number => view.getUint32(SyncField.seq, true);
export const syncCaptureTs = (view: DataView): number => view.getFloat64(SyncField.captureTs, true);
export const syncSkipped = (view: DataView): number => view.getUint32(SyncField.skipped, true);
