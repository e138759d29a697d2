// Encoders: each message is built in one allocation; payload bytes are copied exactly once, into it.
import {
  CURSOR_BYTES,
  Codec,
  type CodecName,
  ERROR_HEADER_BYTES,
  FRAME_HEADER_BYTES,
  GEOMETRY_BYTES,
  MOTION_HEADER_BYTES,
  MessageType,
  MotionCodec,
  type MotionCodecName,
  MotionFlag,
  PROTOCOL_VERSION,
  PresenterState,
  type PresenterStateName,
  STATUS_BYTES,
  SYNC_BYTES,
  TILE_HEADER_BYTES,
} from './constants';
import type { Geometry } from './geometry';
import {
  CursorField,
  ErrorField,
  GeometryField,
  MotionField,
  StatusField,
  SyncField,
  TileField,
  writeFrameHeader,
} from './header';
import { type MotionRegion, motionMaskBytes } from './motion';

export interface TileInput {
  col: number;
  row: number;
  codec: CodecName;
  payload: Uint8Array;
}

const utf8 = new TextEncoder();

function start(bytes: number, type: number): { buf: Uint8Array; view: DataView } {
  const buf = new Uint8Array(bytes);
  const view = new DataView(buf.buffer);
  buf[0] = PROTOCOL_VERSION;
  buf[1] = type;
  return { buf, view };
}

/** Writes a tile header at `offset`; the payload must follow it. Used for frame records and server tiles alike. */
export function writeTileHeader(
  view: DataView,
  offset: number,
  tile: { col: number; row: number; codec: CodecName },
  seq: number,
  payloadLength: number,
): void {
  view.setUint8(offset, PROTOCOL_VERSION);
  view.setUint8(offset + 1, MessageType.Tile);
  view.setUint8(offset + TileField.codec, Codec[tile.codec]);
  view.setUint8(offset + TileField.flags, 0);
  view.setUint16(offset + TileField.col, tile.col, true);
  view.setUint16(offset + TileField.row, tile.row, true);
  view.setUint32(offset + TileField.seq, seq >>> 0, true);
  view.setUint32(offset + TileField.payloadLength, payloadLength, true);
}

export function encodeFrame(seq: number, captureTs: number, tiles: readonly TileInput[]): Uint8Array {
  let bytes = FRAME_HEADER_BYTES;
  for (const t of tiles) bytes += TILE_HEADER_BYTES + t.payload.byteLength;
  const { buf, view } = start(bytes, MessageType.Frame);
  writeFrameHeader(view, 0, 0, seq, captureTs, tiles.length);
  let offset = FRAME_HEADER_BYTES;
  for (const t of tiles) {
    writeTileHeader(view, offset, t, seq, t.payload.byteLength);
    buf.set(t.payload, offset + TILE_HEADER_BYTES);
    offset += TILE_HEADER_BYTES + t.payload.byteLength;
  }
  return buf;
}

/** A single server -> viewer tile message (tests and tools; the server reuses frame records instead). */
export function encodeTile(tile: TileInput, seq: number): Uint8Array {
  const { buf, view } = start(TILE_HEADER_BYTES + tile.payload.byteLength, MessageType.Tile);
  writeTileHeader(view, 0, tile, seq, tile.payload.byteLength);
  buf.set(tile.payload, TILE_HEADER_BYTES);
  return buf;
}

export interface MotionInput extends MotionRegion {
  key: boolean;
  codec: MotionCodecName;
  seq: number;
  captureTs: number;
  /** one encoded video chunk */
  payload: Uint8Array;
  /** the region's tiles to paint, one bit each (see MotionFlag.Masked, motionMaskBytes); absent: the whole region */
  mask?: Uint8Array | null;
}

export function encodeMotion(m: MotionInput): Uint8Array {
  const maskBytes = m.mask ? motionMaskBytes(m) : 0;
  if (m.mask && m.mask.byteLength !== maskBytes)
    throw new RangeError(
      `a motion mask of ${m.columns}x${m.rows} tiles is ${maskBytes} bytes, not ${m.mask.byteLength}`,
    );
  const { buf, view } = start(MOTION_HEADER_BYTES + maskBytes + m.payload.byteLength, MessageType.Motion);
  view.setUint8(MotionField.flags, (m.key ? MotionFlag.Key : 0) | (m.mask ? MotionFlag.Masked : 0));
  view.setUint8(MotionField.codec, MotionCodec[m.codec]);
  view.setUint32(MotionField.seq, m.seq >>> 0, true);
  view.setFloat64(MotionField.captureTs, m.captureTs, true);
  view.setUint16(MotionField.col, m.col, true);
  view.setUint16(MotionField.row, m.row, true);
  view.setUint16(MotionField.columns, m.columns, true);
  view.setUint16(MotionField.rows, m.rows, true);
  view.setUint32(MotionField.payloadLength, m.payload.byteLength, true);
  if (m.mask) buf.set(m.mask, MOTION_HEADER_BYTES);
  buf.set(m.payload, MOTION_HEADER_BYTES + maskBytes);
  return buf;
}

export function encodeGeometry(g: Geometry): Uint8Array {
  const { buf, view } = start(GEOMETRY_BYTES, MessageType.Geometry);
  view.setUint16(GeometryField.width, g.width, true);
  view.setUint16(GeometryField.height, g.height, true);
  view.setUint16(GeometryField.tileSize, g.tileSize, true);
  return buf;
}

export function encodeCursor(x: number, y: number, visible = true): Uint8Array {
  const { buf, view } = start(CURSOR_BYTES, MessageType.Cursor);
  view.setUint8(CursorField.visible, visible ? 1 : 0);
  view.setUint16(CursorField.x, Math.max(0, Math.min(0xffff, Math.round(x))), true);
  view.setUint16(CursorField.y, Math.max(0, Math.min(0xffff, Math.round(y))), true);
  return buf;
}

export function encodeSync(seq: number, captureTs: number, skipped: number): Uint8Array {
  const buf = new Uint8Array(SYNC_BYTES);
  writeSync(buf, seq, captureTs, skipped);
  return buf;
}

/** In-place variant so a sender can reuse one scratch buffer per message. */
export function writeSync(buf: Uint8Array, seq: number, captureTs: number, skipped: number): void {
  const view = new DataView(buf.buffer, buf.byteOffset, SYNC_BYTES);
  buf[0] = PROTOCOL_VERSION;
  buf[1] = MessageType.Sync;
  view.setUint16(2, 0, true);
  view.setUint32(SyncField.seq, seq >>> 0, true);
  view.setFloat64(SyncField.captureTs, captureTs, true);
  view.setUint32(SyncField.skipped, Math.min(skipped, 0xffffffff) >>> 0, true);
}

export function encodeStatus(state: PresenterStateName, viewers: number): Uint8Array {
  const { buf, view } = start(STATUS_BYTES, MessageType.Status);
  view.setUint8(StatusField.state, PresenterState[state]);
  view.setUint32(StatusField.viewers, viewers >>> 0, true);
  return buf;
}

export function encodeError(code: number, message: string): Uint8Array {
  const text = utf8.encode(message.slice(0, 200));
  const { buf, view } = start(ERROR_HEADER_BYTES + text.byteLength, MessageType.Error);
  view.setUint16(ErrorField.code, code, true);
  buf.set(text, ERROR_HEADER_BYTES);
  return buf;
}
