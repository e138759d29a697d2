// Decoders: read through DataView, return views (subarray) of the input, never copies; reject with ProtocolError.
import {
  CODEC_NAMES,
  type CodecName,
  CURSOR_BYTES,
  ERROR_HEADER_BYTES,
  FRAME_HEADER_BYTES,
  GEOMETRY_BYTES,
  MOTION_CODEC_NAMES,
  MOTION_FLAGS_KNOWN,
  MOTION_HEADER_BYTES,
  MessageType,
  type MotionCodecName,
  MotionFlag,
  PROTOCOL_VERSION,
  PRESENTER_STATE_NAMES,
  type PresenterStateName,
  STATUS_BYTES,
  SYNC_BYTES,
  TILE_HEADER_BYTES,
} from './constants';
import { ProtocolError, ProtocolErrorCode as E } from './errors';
import { type Geometry, gridShape, tileRect, validateGeometry } from './geometry';
import {
  CursorField,
  ErrorField,
  FrameField,
  GeometryField,
  MotionField,
  StatusField,
  SyncField,
  TileField,
} from './header';
import { declaredImageSize, declaresSizeOrNone } from './image-size';
import { type MotionRegion, motionMaskBytes, motionRect, vp8FrameInfo } from './motion';

export interface TileView {
  col: number;
  row: number;
  codec: CodecName;
  seq: number;
  /** the encoded image: a view into the message */
  payload: Uint8Array;
  /** header + payload: a view that is itself a valid Tile message */
  record: Uint8Array;
}

export interface MotionView extends MotionRegion {
  key: boolean;
  codec: MotionCodecName;
  seq: number;
  captureTs: number;
  /** the encoded chunk: a view into the message */
  payload: Uint8Array;
  /**
   * with MotionFlag.Masked, the region's tiles to paint (those whose current picture the server does not have as a
   * still tile), one bit each: a view into the message; null: the whole region
   */
  mask: Uint8Array | null;
}

export type Message =
  | ({ type: typeof MessageType.Motion } & MotionView)
  | { type: typeof MessageType.Frame; flags: number; seq: number; captureTs: number; tiles: TileView[] }
  | { type: typeof MessageType.Geometry; geometry: Geometry }
  | { type: typeof MessageType.Cursor; x: number; y: number; visible: boolean }
  | ({ type: typeof MessageType.Tile } & TileView)
  | { type: typeof MessageType.Sync; seq: number; captureTs: number; skipped: number }
  | { type: typeof MessageType.Status; state: PresenterStateName; viewers: number }
  | { type: typeof MessageType.Error; code: number; message: string };

export interface DecodeLimits {
  /** tiles must lie inside this grid; without it, coordinates are only range-checked by type */
  geometry?: Geometry | null;
  maxTileBytes?: number;
  maxTilesPerFrame?: number;
  /**
   * with a geometry: reject tiles whose PNG/JPEG/WebP header declares a size other than their rectangle (a small
   * payload may declare 14000x14000 and decode to hundreds of MB); payloads of no known format are not checked
   */
  checkImageSize?: boolean;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function need(bytes: Uint8Array, n: number, what: string): void {
  if (bytes.byteLength < n)
    throw new ProtocolError(E.Truncated, `truncated ${what}: ${bytes.byteLength} bytes, need ${n}`);
}

function exact(bytes: Uint8Array, n: number, what: string): void {
  need(bytes, n, what);
  if (bytes.byteLength > n)
    throw new ProtocolError(E.TrailingBytes, `${what} has ${bytes.byteLength - n} trailing bytes`);
}

/** The fields of one tile record, filled in place by `checkTile` (a scratch object: no allocation per tile). */
interface TileFields {
  col: number;
  row: number;
  codec: number;
  seq: number;
}

/** a geometry's grid, read once per message (gridShape makes an object) */
type GridShape = { columns: number; rows: number } | null;

/**
 * Checks the tile record at `offset` (version, type, codec, size limits, cell, image header) and notes its fields
 * in `into`; returns the record's length. Allocates nothing on the good path.
 */
function checkTile(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  limits: DecodeLimits,
  grid: GridShape,
  into: TileFields,
): number {
  const available = bytes.byteLength - offset;
  if (available < TILE_HEADER_BYTES)
    throw new ProtocolError(E.Truncated, `truncated tile header: ${available} bytes, need ${TILE_HEADER_BYTES}`);
  if (view.getUint8(offset) !== PROTOCOL_VERSION)
    throw new ProtocolError(
      E.WrongVersion,
      `tile record has version ${view.getUint8(offset)}, expected ${PROTOCOL_VERSION}`,
    );
  if (view.getUint8(offset + 1) !== MessageType.Tile)
    throw new ProtocolError(
      E.UnexpectedType,
      `frame holds a record of type ${view.getUint8(offset + 1)}, expected a tile`,
    );
  const codec = view.getUint8(offset + TileField.codec);
  if (!CODEC_NAMES[codec]) throw new ProtocolError(E.BadCodec, `unknown codec ${codec}`);
  const col = view.getUint16(offset + TileField.col, true);
  const row = view.getUint16(offset + TileField.row, true);
  const length = view.getUint32(offset + TileField.payloadLength, true);
  if (limits.maxTileBytes !== undefined && length > limits.maxTileBytes)
    throw new ProtocolError(
      E.PayloadTooLarge,
      `tile (${col},${row}) payload is ${length} bytes, limit ${limits.maxTileBytes}`,
    );
  if (available < TILE_HEADER_BYTES + length)
    throw new ProtocolError(
      E.Truncated,
      `truncated tile (${col},${row}) payload: ${available} bytes, need ${TILE_HEADER_BYTES + length}`,
    );
  if (grid && (col >= grid.columns || row >= grid.rows))
    throw new ProtocolError(
      E.TileOutsideGeometry,
      `tile (${col},${row}) is outside the ${grid.columns}x${grid.rows} grid`,
    );
  if (limits.checkImageSize && limits.geometry)
    checkImageSize(limits.geometry, col, row, bytes, offset + TILE_HEADER_BYTES, length);
  into.col = col;
  into.row = row;
  into.codec = codec;
  into.seq = view.getUint32(offset + TileField.seq, true);
  return TILE_HEADER_BYTES + length;
}

const gridOf = (limits: DecodeLimits): GridShape => (limits.geometry ? gridShape(limits.geometry) : null);

/** The TileView of a checked record: views into `bytes`. */
function tileView(bytes: Uint8Array, offset: number, length: number, f: TileFields): TileView {
  const record = bytes.subarray(offset, offset + length);
  const payload = record.subarray(TILE_HEADER_BYTES);
  return { col: f.col, row: f.row, codec: CODEC_NAMES[f.codec]!, seq: f.seq, payload, record };
}

/** Reads one tile record at `offset` as a TileView. */
function readTile(bytes: Uint8Array, view: DataView, offset: number, limits: DecodeLimits): TileView {
  const f: TileFields = { col: 0, row: 0, codec: 0, seq: 0 };
  const length = checkTile(bytes, view, offset, limits, gridOf(limits), f);
  return tileView(bytes, offset, length, f);
}

/**
 * A Frame message read in place: its header and, per tile, the record's offset and length and its cell, in arrays
 * reused from one frame to the next. Ingest reads hundreds of frames a second; a view and an object per tile were
 * most of its garbage, and garbage here sets how often V8 marks the whole heap.
 */
export class FrameScan {
  flags = 0;
  seq = 0;
  captureTs = 0;
  count = 0;
  offsets = new Uint32Array(64);
  lengths = new Uint32Array(64);
  cols = new Uint16Array(64);
  rows = new Uint16Array(64);
  codecs = new Uint8Array(64);
  seqs = new Uint32Array(64);
  private readonly tile: TileFields = { col: 0, row: 0, codec: 0, seq: 0 };

  /** Reads and checks a whole Frame message (as decodeMessage does); the fields stay valid until the next read. */
  read(bytes: Uint8Array, limits: DecodeLimits = {}): this {
    checkVersion(bytes);
    if (bytes[1] !== MessageType.Frame)
      throw new ProtocolError(E.UnexpectedType, `expected a frame, got message type 0x${bytes[1].toString(16)}`);
    return this.readChecked(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), limits);
  }

  /** The rest of `read`, once the message's version and type are known good (decodeMessage checked them). */
  readChecked(bytes: Uint8Array, view: DataView, limits: DecodeLimits): this {
    need(bytes, FRAME_HEADER_BYTES, 'frame header');
    const count = view.getUint16(FrameField.tileCount, true);
    if (limits.maxTilesPerFrame !== undefined && count > limits.maxTilesPerFrame)
      throw new ProtocolError(E.TooManyTiles, `frame has ${count} tiles, limit ${limits.maxTilesPerFrame}`);
    if (limits.geometry === null) throw new ProtocolError(E.NoGeometry, 'frame before geometry');
    this.reserve(count);
    const grid = gridOf(limits);
    const tile = this.tile;
    let offset = FRAME_HEADER_BYTES;
    for (let i = 0; i < count; i++) {
      const length = checkTile(bytes, view, offset, limits, grid, tile);
      this.offsets[i] = offset;
      this.lengths[i] = length;
      this.cols[i] = tile.col;
      this.rows[i] = tile.row;
      this.codecs[i] = tile.codec;
      this.seqs[i] = tile.seq;
      offset += length;
    }
    if (offset !== bytes.byteLength)
      throw new ProtocolError(
        E.TrailingBytes,
        `frame has ${bytes.byteLength - offset} trailing bytes after ${count} tiles`,
      );
    this.flags = bytes[FrameField.flags];
    this.seq = view.getUint32(FrameField.seq, true);
    this.captureTs = view.getFloat64(FrameField.captureTs, true);
    this.count = count;
    return this;
  }

  /** Tile `i` of the last read as a TileView (views into `bytes`, the message read). */
  tileView(bytes: Uint8Array, i: number): TileView {
    const f = this.tile;
    f.col = this.cols[i];
    f.row = this.rows[i];
    f.codec = this.codecs[i];
    f.seq = this.seqs[i];
    return tileView(bytes, this.offsets[i], this.lengths[i], f);
  }

  private reserve(count: number): void {
    if (this.offsets.length >= count) return;
    const size = Math.max(count, this.offsets.length * 2);
    this.offsets = new Uint32Array(size);
    this.lengths = new Uint32Array(size);
    this.cols = new Uint16Array(size);
    this.rows = new Uint16Array(size);
    this.codecs = new Uint8Array(size);
    this.seqs = new Uint32Array(size);
  }
}

/** decodeMessage's frames go through the same reader as ingest's (it runs to completion: one is enough). */
const decodeScan = new FrameScan();

/** A message must be at least its [version][type] and speak this side's version. */
function checkVersion(bytes: Uint8Array): void {
  need(bytes, 2, 'message header');
  if (bytes[0] !== PROTOCOL_VERSION)
    throw new ProtocolError(
      E.WrongVersion,
      `protocol version ${bytes[0]} is not supported (this side speaks ${PROTOCOL_VERSION})`,
    );
}

/** The image header at `start` (`length` bytes) must declare the tile's rectangle, if it is of a known format. */
function checkImageSize(
  geometry: Geometry,
  col: number,
  row: number,
  bytes: Uint8Array,
  start: number,
  length: number,
): void {
  // runs for every ingested tile, so no allocation on the good path (tileRect would build an object)
  const width = Math.min(geometry.tileSize, geometry.width - col * geometry.tileSize);
  const height = Math.min(geometry.tileSize, geometry.height - row * geometry.tileSize);
  if (declaresSizeOrNone(bytes, start, length, width, height)) return;
  const declared = declaredImageSize(bytes.subarray(start, start + length))!;
  const r = tileRect(geometry, col, row);
  const what =
    declared.width === 0
      ? `a ${declared.format} header whose size cannot be read`
      : `a ${declared.format} of ${declared.width}x${declared.height}`;
  throw new ProtocolError(
    E.ImageSizeMismatch,
    `tile (${col},${row}) holds ${what}; its rectangle is ${r.width}x${r.height}`,
  );
}

export function decodeMessage(bytes: Uint8Array, limits: DecodeLimits = {}): Message {
  checkVersion(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = bytes[1];
  switch (type) {
    case MessageType.Frame: {
      const scan = decodeScan.readChecked(bytes, view, limits);
      const tiles: TileView[] = new Array(scan.count);
      for (let i = 0; i < scan.count; i++) tiles[i] = scan.tileView(bytes, i);
      return { type, flags: scan.flags, seq: scan.seq, captureTs: scan.captureTs, tiles };
    }
    case MessageType.Tile: {
      const tile = readTile(bytes, view, 0, limits);
      if (tile.record.byteLength !== bytes.byteLength)
        throw new ProtocolError(
          E.TrailingBytes,
          `tile message has ${bytes.byteLength - tile.record.byteLength} trailing bytes`,
        );
      return { type, ...tile };
    }
    case MessageType.Motion:
      return { type, ...readMotion(bytes, view, limits) };
    case MessageType.Geometry: {
      exact(bytes, GEOMETRY_BYTES, 'geometry');
      const geometry = validateGeometry({
        width: view.getUint16(GeometryField.width, true),
        height: view.getUint16(GeometryField.height, true),
        tileSize: view.getUint16(GeometryField.tileSize, true),
      });
      return { type, geometry };
    }
    case MessageType.Cursor:
      exact(bytes, CURSOR_BYTES, 'cursor');
      return {
        type,
        visible: bytes[CursorField.visible] === 1,
        x: view.getUint16(CursorField.x, true),
        y: view.getUint16(CursorField.y, true),
      };
    case MessageType.Sync:
      exact(bytes, SYNC_BYTES, 'sync');
      return {
        type,
        seq: view.getUint32(SyncField.seq, true),
        captureTs: view.getFloat64(SyncField.captureTs, true),
        skipped: view.getUint32(SyncField.skipped, true),
      };
    case MessageType.Status: {
      exact(bytes, STATUS_BYTES, 'status');
      const state = PRESENTER_STATE_NAMES[bytes[StatusField.state]];
      if (!state) throw new ProtocolError(E.UnknownType, `unknown presenter state ${bytes[StatusField.state]}`);
      return { type, state, viewers: view.getUint32(StatusField.viewers, true) };
    }
    case MessageType.Error:
      need(bytes, ERROR_HEADER_BYTES, 'error');
      return {
        type,
        code: view.getUint16(ErrorField.code, true),
        message: utf8.decode(bytes.subarray(ERROR_HEADER_BYTES)),
      };
    default:
      throw new ProtocolError(E.UnknownType, `unknown message type 0x${type.toString(16).padStart(2, '0')}`);
  }
}

/**
 * A motion message: every field checked. With `checkImageSize` (ingest) the chunk's VP8 frame tag must agree with
 * the key flag and a key frame must declare at most the region's pixels (it may be scaled down, never up: a small
 * chunk must not declare a huge picture), as tiles must declare their rectangle.
 */
function readMotion(bytes: Uint8Array, view: DataView, limits: DecodeLimits): MotionView {
  need(bytes, MOTION_HEADER_BYTES, 'motion header');
  const bad = (why: string) => new ProtocolError(E.BadMotion, `motion ${why}`);
  const flags = bytes[MotionField.flags];
  if (flags & ~MOTION_FLAGS_KNOWN) throw bad(`has unknown flags 0x${flags.toString(16)}`);
  const codec = MOTION_CODEC_NAMES[bytes[MotionField.codec]];
  if (!codec) throw new ProtocolError(E.BadCodec, `unknown motion codec ${bytes[MotionField.codec]}`);
  const region = {
    col: view.getUint16(MotionField.col, true),
    row: view.getUint16(MotionField.row, true),
    columns: view.getUint16(MotionField.columns, true),
    rows: view.getUint16(MotionField.rows, true),
  };
  const where = `region (${region.col},${region.row}) ${region.columns}x${region.rows} tiles`;
  if (region.columns === 0 || region.rows === 0) throw bad(`${where} is empty`);
  const length = view.getUint32(MotionField.payloadLength, true);
  const maskBytes = flags & MotionFlag.Masked ? motionMaskBytes(region) : 0;
  exact(bytes, MOTION_HEADER_BYTES + maskBytes + length, 'motion');
  if (limits.geometry === null) throw new ProtocolError(E.NoGeometry, 'motion before geometry');
  const mask = maskBytes ? bytes.subarray(MOTION_HEADER_BYTES, MOTION_HEADER_BYTES + maskBytes) : null;
  // Bits past the region's last tile are 0: one mask, one meaning.
  const spare = maskBytes * 8 - region.columns * region.rows;
  if (mask && spare > 0 && mask[maskBytes - 1] >> (8 - spare) !== 0) throw bad(`mask marks tiles past the ${where}`);
  const payload = bytes.subarray(MOTION_HEADER_BYTES + maskBytes);
  const key = (flags & MotionFlag.Key) !== 0;
  if (limits.geometry) {
    const { columns, rows } = gridShape(limits.geometry);
    if (region.col + region.columns > columns || region.row + region.rows > rows)
      throw bad(`${where} is outside the ${columns}x${rows} grid`);
    if (limits.checkImageSize) {
      const info = vp8FrameInfo(payload);
      if (!info) throw bad(`chunk of ${length} bytes is not a VP8 frame`);
      if (info.key !== key)
        throw bad(`is flagged ${key ? 'key' : 'delta'} but holds a VP8 ${info.key ? 'key' : 'delta'} frame`);
      const r = motionRect(limits.geometry, region);
      // The presenter may encode the region scaled down (viewers scale it back up), never up.
      if (key && (info.width < 1 || info.height < 1 || info.width > r.width || info.height > r.height))
        throw new ProtocolError(
          E.ImageSizeMismatch,
          `motion key frame is ${info.width}x${info.height}; its ${where} is ${r.width}x${r.height} px`,
        );
    }
  }
  const captureTs = view.getFloat64(MotionField.captureTs, true);
  if (!Number.isFinite(captureTs)) throw bad(`captureTs ${captureTs} is not a finite number`);
  return { key, codec, seq: view.getUint32(MotionField.seq, true), captureTs, ...region, payload, mask };
}
