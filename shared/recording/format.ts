// The recording file format (shared/RECORDING.md): a header, then records [type][flags][0 u16][bodyLength u32][timeMs u32]+body.
// The server writes it, the server and the replay page read it. Everything here works on views; nothing is copied.
import {
  CURSOR_BYTES,
  GEOMETRY_BYTES,
  type Geometry,
  MessageType,
  PROTOCOL_VERSION,
  TILE_HEADER_BYTES,
} from '../protocol';

export const RECORDING_MAGIC = 'TILECAST';
export const RECORDING_FORMAT = 1;
/** magic(8) + format u16 + reserved u16 + JSON length u32 */
export const FILE_HEADER_FIXED_BYTES = 16;
export const MAX_HEADER_JSON_BYTES = 64 * 1024;
export const RECORD_HEADER_BYTES = 12;
/** A record body larger than this is corruption, not data (a keyframe of a full 8k screen stays well below). */
export const MAX_RECORD_BODY_BYTES = 512 * 1024 * 1024;

export const RecordType = {
  /** full picture: geometry, cursor, seq, captureTs, then every tile of the ScreenShot */
  Keyframe: 0x01,
  /** one ingested frame: seq, captureTs, then its tiles */
  Frame: 0x02,
  /** one Cursor wire message */
  Cursor: 0x03,
  /** the recorder fell behind and dropped records; a keyframe follows */
  Gap: 0x04,
  /** the recording ended; utf-8 reason */
  End: 0x05,
  /** the keyframe index, written once at the end; followed by the trailer */
  Index: 0x06,
} as const;
export type RecordType = (typeof RecordType)[keyof typeof RecordType];

/** [geometry message 8][cursor message 8][seq u32][tileCount u32][captureTs f64] */
export const KEYFRAME_FIXED_BYTES = GEOMETRY_BYTES + CURSOR_BYTES + 16;
/** [seq u32][tileCount u32][captureTs f64] */
export const FRAME_FIXED_BYTES = 16;
/** [droppedRecords u32][sinceMs u32][droppedBytes f64] */
export const GAP_BYTES = 16;
/** [count u32][durationMs u32][dataEnd f64][gaps u32][0 u32] then count x [timeMs u32][0 u32][offset f64] */
export const INDEX_FIXED_BYTES = 24;
export const INDEX_ENTRY_BYTES = 16;
/** [indexOffset f64]["TCINDEX1"]: the last 16 bytes of a finished file */
export const TRAILER_BYTES = 16;
export const TRAILER_MAGIC = 'TCINDEX1';

export interface RecordingHeader {
  format: number;
  id: string;
  room: string;
  /** epoch ms; record times are ms since this */
  startedAt: number;
  /** nominal frame rate for SMPTE timecodes */
  frameRate: number;
  keyframeIntervalMs: number;
  /** geometry when recording started (null if the presenter had not sent one yet; every keyframe carries it too) */
  geometry: Geometry | null;
  /** recorded from a private room: reading the media needs the room's viewer or presenter token */
  private: boolean;
}

export interface RecordView {
  type: number;
  timeMs: number;
  /** file offset of the record header */
  offset: number;
  /** view of the body */
  body: Uint8Array;
}

const ascii = new TextEncoder();
const text = new TextDecoder();

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeFileHeader(header: RecordingHeader): Uint8Array {
  const json = ascii.encode(JSON.stringify(header));
  const buf = new Uint8Array(FILE_HEADER_FIXED_BYTES + json.byteLength);
  buf.set(ascii.encode(RECORDING_MAGIC), 0);
  const view = viewOf(buf);
  view.setUint16(8, RECORDING_FORMAT, true);
  view.setUint32(12, json.byteLength, true);
  buf.set(json, FILE_HEADER_FIXED_BYTES);
  return buf;
}

/** Reads the fixed part; returns the JSON length, or a reason the file is not a recording. */
export function readFileHeaderPrefix(bytes: Uint8Array): { jsonBytes: number } | { error: string } {
  if (bytes.byteLength < FILE_HEADER_FIXED_BYTES)
    return { error: `file is ${bytes.byteLength} bytes, shorter than a header` };
  if (text.decode(bytes.subarray(0, 8)) !== RECORDING_MAGIC) return { error: 'not a tilecast recording (bad magic)' };
  const view = viewOf(bytes);
  const format = view.getUint16(8, true);
  if (format !== RECORDING_FORMAT)
    return { error: `recording format ${format} is not supported (this reader knows ${RECORDING_FORMAT})` };
  const jsonBytes = view.getUint32(12, true);
  if (jsonBytes > MAX_HEADER_JSON_BYTES)
    return { error: `header of ${jsonBytes} bytes is over ${MAX_HEADER_JSON_BYTES}` };
  return { jsonBytes };
}

/** Parses the header JSON (validation of its fields is the caller's: zod on the server, a light check in the page). */
export function decodeHeaderJson(bytes: Uint8Array): unknown {
  return JSON.parse(text.decode(bytes));
}

export function encodeRecordHeader(type: RecordType, bodyLength: number, timeMs: number): Uint8Array {
  const buf = new Uint8Array(RECORD_HEADER_BYTES);
  const view = viewOf(buf);
  buf[0] = type;
  view.setUint32(4, bodyLength, true);
  view.setUint32(8, Math.max(0, Math.min(0xffffffff, Math.floor(timeMs))), true);
  return buf;
}

export function encodeKeyframeFixed(
  geometry: Uint8Array,
  cursor: Uint8Array,
  seq: number,
  tileCount: number,
  captureTs: number,
): Uint8Array {
  const buf = new Uint8Array(KEYFRAME_FIXED_BYTES);
  buf.set(geometry, 0);
  buf.set(cursor, GEOMETRY_BYTES);
  const view = viewOf(buf);
  const at = GEOMETRY_BYTES + CURSOR_BYTES;
  view.setUint32(at, seq >>> 0, true);
  view.setUint32(at + 4, tileCount, true);
  view.setFloat64(at + 8, captureTs, true);
  return buf;
}

export function encodeFrameFixed(seq: number, tileCount: number, captureTs: number): Uint8Array {
  const buf = new Uint8Array(FRAME_FIXED_BYTES);
  const view = viewOf(buf);
  view.setUint32(0, seq >>> 0, true);
  view.setUint32(4, tileCount, true);
  view.setFloat64(8, captureTs, true);
  return buf;
}

export function encodeGap(droppedRecords: number, sinceMs: number, droppedBytes: number): Uint8Array {
  const buf = new Uint8Array(GAP_BYTES);
  const view = viewOf(buf);
  view.setUint32(0, Math.min(droppedRecords, 0xffffffff), true);
  view.setUint32(4, Math.max(0, Math.floor(sinceMs)), true);
  view.setFloat64(8, droppedBytes, true);
  return buf;
}

export interface IndexBody {
  times: ArrayLike<number>;
  offsets: ArrayLike<number>;
  count: number;
  durationMs: number;
  /** offset of the index record: where media records end */
  dataEnd: number;
  gaps: number;
}

export function encodeIndex(index: IndexBody): Uint8Array {
  const buf = new Uint8Array(INDEX_FIXED_BYTES + index.count * INDEX_ENTRY_BYTES);
  const view = viewOf(buf);
  view.setUint32(0, index.count, true);
  view.setUint32(4, Math.floor(index.durationMs), true);
  view.setFloat64(8, index.dataEnd, true);
  view.setUint32(16, index.gaps, true);
  for (let i = 0; i < index.count; i++) {
    const at = INDEX_FIXED_BYTES + i * INDEX_ENTRY_BYTES;
    view.setUint32(at, index.times[i], true);
    view.setFloat64(at + 8, index.offsets[i], true);
  }
  return buf;
}

export function decodeIndex(body: Uint8Array): IndexBody | null {
  if (body.byteLength < INDEX_FIXED_BYTES) return null;
  const view = viewOf(body);
  const count = view.getUint32(0, true);
  if (body.byteLength !== INDEX_FIXED_BYTES + count * INDEX_ENTRY_BYTES) return null;
  const times = new Uint32Array(count);
  const offsets = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const at = INDEX_FIXED_BYTES + i * INDEX_ENTRY_BYTES;
    times[i] = view.getUint32(at, true);
    offsets[i] = view.getFloat64(at + 8, true);
  }
  return {
    times,
    offsets,
    count,
    durationMs: view.getUint32(4, true),
    dataEnd: view.getFloat64(8, true),
    gaps: view.getUint32(16, true),
  };
}

export function encodeTrailer(indexOffset: number): Uint8Array {
  const buf = new Uint8Array(TRAILER_BYTES);
  viewOf(buf).setFloat64(0, indexOffset, true);
  buf.set(ascii.encode(TRAILER_MAGIC), 8);
  return buf;
}

/** The index record offset named by a trailer, or null when these bytes are not a trailer. */
export function decodeTrailer(bytes: Uint8Array): number | null {
  if (bytes.byteLength !== TRAILER_BYTES || text.decode(bytes.subarray(8)) !== TRAILER_MAGIC) return null;
  const offset = viewOf(bytes).getFloat64(0, true);
  return Number.isSafeInteger(offset) && offset >= 0 ? offset : null;
}

/** Checks that tile messages fill `bytes` exactly, starting at `from`; returns how many, or -1 if they do not. */
function countTiles(bytes: Uint8Array, from: number): number {
  const view = viewOf(bytes);
  let at = from;
  let n = 0;
  while (at < bytes.byteLength) {
    if (bytes.byteLength - at < TILE_HEADER_BYTES) return -1;
    if (bytes[at] !== PROTOCOL_VERSION || bytes[at + 1] !== MessageType.Tile) return -1;
    at += TILE_HEADER_BYTES + view.getUint32(at + 12, true);
    n++;
  }
  return at === bytes.byteLength ? n : -1;
}

/** Structural check of one record body: a torn or overwritten record fails it. */
export function recordBodyIsValid(type: number, body: Uint8Array): boolean {
  switch (type) {
    case RecordType.Keyframe:
      return (
        body.byteLength >= KEYFRAME_FIXED_BYTES &&
        body[1] === MessageType.Geometry &&
        body[GEOMETRY_BYTES + 1] === MessageType.Cursor &&
        countTiles(body, KEYFRAME_FIXED_BYTES) === viewOf(body).getUint32(GEOMETRY_BYTES + CURSOR_BYTES + 4, true)
      );
    case RecordType.Frame:
      return (
        body.byteLength >= FRAME_FIXED_BYTES && countTiles(body, FRAME_FIXED_BYTES) === viewOf(body).getUint32(4, true)
      );
    case RecordType.Cursor:
      return body.byteLength === CURSOR_BYTES && body[1] === MessageType.Cursor;
    case RecordType.Gap:
      return body.byteLength === GAP_BYTES;
    case RecordType.End:
      return body.byteLength <= 4096;
    case RecordType.Index:
      return decodeIndex(body) !== null;
    default:
      return false;
  }
}

export type ScanStop = 'end-of-data' | 'torn' | 'invalid';

/**
 * Walks the complete records in `bytes` (which start at file offset `baseOffset`), calling `onRecord` for each.
 * Returns how many bytes were consumed and why it stopped: 'end-of-data' (the rest is the start of a record that
 * needs more bytes, or nothing), 'invalid' (a header or body that cannot be a record).
 */
export function scanRecords(
  bytes: Uint8Array,
  baseOffset: number,
  onRecord: (record: RecordView) => boolean | void,
  validate = false,
): { consumed: number; stop: ScanStop | 'stopped' } {
  const view = viewOf(bytes);
  let at = 0;
  while (bytes.byteLength - at >= RECORD_HEADER_BYTES) {
    const type = bytes[at];
    const bodyLength = view.getUint32(at + 4, true);
    if (
      type < RecordType.Keyframe ||
      type > RecordType.Index ||
      bytes[at + 1] !== 0 ||
      bodyLength > MAX_RECORD_BODY_BYTES
    )
      return { consumed: at, stop: 'invalid' };
    const end = at + RECORD_HEADER_BYTES + bodyLength;
    if (end > bytes.byteLength) return { consumed: at, stop: 'end-of-data' };
    const body = bytes.subarray(at + RECORD_HEADER_BYTES, end);
    if (validate && !recordBodyIsValid(type, body)) return { consumed: at, stop: 'invalid' };
    if (onRecord({ type, timeMs: view.getUint32(at + 8, true), offset: baseOffset + at, body }) === false)
      return { consumed: at, stop: 'stopped' };
    at = end;
  }
  return { consumed: at, stop: 'end-of-data' };
}

/** Length of the record whose header starts at `at`, or -1 when fewer than a header's bytes remain. */
export function recordLengthAt(bytes: Uint8Array, at: number): number {
  if (bytes.byteLength - at < RECORD_HEADER_BYTES) return -1;
  return RECORD_HEADER_BYTES + viewOf(bytes).getUint32(at + 4, true);
}
