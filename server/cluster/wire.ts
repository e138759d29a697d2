// The bus wire format between nodes: one binary message per room event, split into chunks when large.
// Tiles travel as the Tile messages viewers get (already encoded by ingest), so a replica only re-slices them.
import {
  CURSOR_BYTES,
  GEOMETRY_BYTES,
  PRESENTER_STATE_NAMES,
  PresenterState,
  type PresenterStateName,
  TILE_HEADER_BYTES,
  decodeMessage,
} from '../../shared/protocol';
import type { TileEntry } from '../frames/tile-entry';

/** Hard cap on one bus message (header included): Redis handles far more, but big ones stall the shared link. */
export const MAX_BUS_MESSAGE_BYTES = 4 * 1024 * 1024;
const MAGIC = 0x74;
/** [magic u8][kind u8][chunk u16][chunks u16][reserved u16][epoch u32][frameNo u32][publishedAt f64] */
export const BUS_HEADER_BYTES = 24;
/** frame body: [seq u32][captureTs f64][tileCount u32] then the tiles' Tile messages back to back */
const FRAME_BODY_HEADER = 16;
/** keyframe body: [state u8][hasGeometry u8][hasCursor u8][reserved u8][geometry 8][cursor 8] then a frame body */
const KEYFRAME_PREFIX = 4 + GEOMETRY_BYTES + CURSOR_BYTES;

/** `motion`: a presenter's motion message as it came, in the same ordered stream as frames (see Room.motion) */
export const BusKind = { frame: 1, geometry: 2, cursor: 3, status: 4, keyframe: 5, motion: 6 } as const;
export type BusKind = (typeof BusKind)[keyof typeof BusKind];

export interface BusHeader {
  kind: BusKind;
  epoch: number;
  frameNo: number;
  publishedAt: number;
}

export interface FrameBody {
  seq: number;
  captureTs: number;
  /** Tile messages (views into the received bytes) */
  tiles: Uint8Array[];
}

export interface KeyframeBody extends FrameBody {
  state: PresenterStateName;
  geometry: Uint8Array | null;
  cursor: Uint8Array | null;
}

function frameBodyBytes(tiles: readonly TileEntry[]): number {
  let n = FRAME_BODY_HEADER;
  for (const t of tiles) n += t.message.byteLength;
  return n;
}

function writeFrameBody(
  buf: Uint8Array,
  offset: number,
  seq: number,
  captureTs: number,
  tiles: readonly TileEntry[],
): void {
  const view = new DataView(buf.buffer, buf.byteOffset);
  view.setUint32(offset, seq >>> 0, true);
  view.setFloat64(offset + 4, captureTs, true);
  view.setUint32(offset + 12, tiles.length, true);
  let at = offset + FRAME_BODY_HEADER;
  for (const t of tiles) {
    buf.set(t.message, at);
    at += t.message.byteLength;
  }
}

/** One allocation: room of a bus header in front, so an unchunked message is sent without another copy. */
export function frameBody(seq: number, captureTs: number, tiles: readonly TileEntry[]): Uint8Array {
  const buf = new Uint8Array(BUS_HEADER_BYTES + frameBodyBytes(tiles));
  writeFrameBody(buf, BUS_HEADER_BYTES, seq, captureTs, tiles);
  return buf;
}

export function keyframeBody(
  state: PresenterStateName,
  geometry: Uint8Array | null,
  cursor: Uint8Array | null,
  seq: number,
  captureTs: number,
  tiles: readonly TileEntry[],
): Uint8Array {
  const buf = new Uint8Array(BUS_HEADER_BYTES + KEYFRAME_PREFIX + frameBodyBytes(tiles));
  const at = BUS_HEADER_BYTES;
  buf[at] = PresenterState[state];
  buf[at + 1] = geometry ? 1 : 0;
  buf[at + 2] = cursor ? 1 : 0;
  if (geometry) buf.set(geometry, at + 4);
  if (cursor) buf.set(cursor, at + 4 + GEOMETRY_BYTES);
  writeFrameBody(buf, at + KEYFRAME_PREFIX, seq, captureTs, tiles);
  return buf;
}

/** A small body (geometry, cursor, status) with room for the header. */
export function smallBody(bytes: Uint8Array | number[]): Uint8Array {
  const buf = new Uint8Array(BUS_HEADER_BYTES + bytes.length);
  buf.set(bytes, BUS_HEADER_BYTES);
  return buf;
}

function writeHeader(buf: Uint8Array, h: BusHeader, chunk: number, chunks: number): void {
  const view = new DataView(buf.buffer, buf.byteOffset, BUS_HEADER_BYTES);
  buf[0] = MAGIC;
  buf[1] = h.kind;
  view.setUint16(2, chunk, true);
  view.setUint16(4, chunks, true);
  view.setUint16(6, 0, true);
  view.setUint32(8, h.epoch >>> 0, true);
  view.setUint32(12, h.frameNo >>> 0, true);
  view.setFloat64(16, h.publishedAt, true);
}

/**
 * Stamps the header into `message` (made by one of the body builders) and splits it into messages of at most
 * `limit` bytes. The common case, one chunk, returns the same buffer.
 */
export function chunk(message: Uint8Array, h: BusHeader, limit: number): Uint8Array[] {
  const room = Math.min(limit, MAX_BUS_MESSAGE_BYTES) - BUS_HEADER_BYTES;
  const body = message.byteLength - BUS_HEADER_BYTES;
  const chunks = Math.max(1, Math.ceil(body / room));
  if (chunks > 0xffff) throw new Error(`bus message of ${body} bytes needs more than 65535 chunks`);
  if (chunks === 1) {
    writeHeader(message, h, 0, 1);
    return [message];
  }
  const out: Uint8Array[] = [];
  for (let i = 0; i < chunks; i++) {
    const part = message.subarray(BUS_HEADER_BYTES + i * room, BUS_HEADER_BYTES + Math.min(body, (i + 1) * room));
    const buf = new Uint8Array(BUS_HEADER_BYTES + part.byteLength);
    writeHeader(buf, h, i, chunks);
    buf.set(part, BUS_HEADER_BYTES);
    out.push(buf);
  }
  return out;
}

export interface BusChunk extends BusHeader {
  chunk: number;
  chunks: number;
  body: Uint8Array;
}

export function readChunk(data: Uint8Array): BusChunk | null {
  if (data.byteLength < BUS_HEADER_BYTES || data[0] !== MAGIC) return null;
  const view = new DataView(data.buffer, data.byteOffset, BUS_HEADER_BYTES);
  const kind = data[1] as BusKind;
  if (kind < BusKind.frame || kind > BusKind.motion) return null;
  const chunk = view.getUint16(2, true);
  const chunks = view.getUint16(4, true);
  if (chunks === 0 || chunk >= chunks) return null;
  return {
    kind,
    chunk,
    chunks,
    epoch: view.getUint32(8, true),
    frameNo: view.getUint32(12, true),
    publishedAt: view.getFloat64(16, true),
    body: data.subarray(BUS_HEADER_BYTES),
  };
}

/** Joins chunks of one message. A chunk out of order drops the partial message: `lost` tells the caller of the gap. */
export class Reassembler {
  private parts: Uint8Array[] = [];
  private current: BusChunk | null = null;

  push(c: BusChunk): { lost: boolean; whole: Uint8Array | null } {
    let lost = false;
    const cur = this.current;
    if (cur) {
      if (cur.epoch === c.epoch && cur.frameNo === c.frameNo && cur.kind === c.kind && c.chunk === this.parts.length) {
        this.parts.push(c.body);
        if (this.parts.length < cur.chunks) return { lost, whole: null };
        const whole = Buffer.concat(this.parts);
        this.reset();
        return { lost, whole: new Uint8Array(whole.buffer, whole.byteOffset, whole.byteLength) };
      }
      this.reset();
      lost = true;
    }
    if (c.chunk !== 0) return { lost: true, whole: null };
    if (c.chunks === 1) return { lost, whole: c.body };
    this.current = c;
    this.parts = [c.body];
    return { lost, whole: null };
  }

  reset(): void {
    this.current = null;
    this.parts = [];
  }
}

export function readFrameBody(body: Uint8Array, offset = 0): FrameBody {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  if (body.byteLength < offset + FRAME_BODY_HEADER) throw new Error('truncated bus frame');
  const seq = view.getUint32(offset, true);
  const captureTs = view.getFloat64(offset + 4, true);
  const count = view.getUint32(offset + 12, true);
  const tiles: Uint8Array[] = new Array(count);
  let at = offset + FRAME_BODY_HEADER;
  for (let i = 0; i < count; i++) {
    if (at + TILE_HEADER_BYTES > body.byteLength) throw new Error('truncated bus tile');
    const length = view.getUint32(at + 12, true);
    tiles[i] = body.subarray(at, at + TILE_HEADER_BYTES + length);
    if (tiles[i].byteLength !== TILE_HEADER_BYTES + length) throw new Error('truncated bus tile payload');
    at += TILE_HEADER_BYTES + length;
  }
  return { seq, captureTs, tiles };
}

export function readKeyframeBody(body: Uint8Array): KeyframeBody {
  if (body.byteLength < KEYFRAME_PREFIX) throw new Error('truncated bus keyframe');
  const state = PRESENTER_STATE_NAMES[body[0]] ?? 'live';
  const geometry = body[1] ? body.subarray(4, 4 + GEOMETRY_BYTES) : null;
  const cursor = body[2] ? body.subarray(4 + GEOMETRY_BYTES, KEYFRAME_PREFIX) : null;
  return { state, geometry, cursor, ...readFrameBody(body, KEYFRAME_PREFIX) };
}

export function statusBody(state: PresenterStateName): Uint8Array {
  return smallBody([PresenterState[state]]);
}

export function readStatusBody(body: Uint8Array): PresenterStateName {
  return PRESENTER_STATE_NAMES[body[0]] ?? 'live';
}

/** Tile entries for a replica's Room from bus tile messages; the bytes are shared, not copied. */
export function tileEntries(tiles: Uint8Array[], columns: number): TileEntry[] {
  const out: TileEntry[] = new Array(tiles.length);
  for (let i = 0; i < tiles.length; i++) {
    const m = decodeMessage(tiles[i]);
    if (m.type !== 0x10) throw new Error('bus frame holds a non-tile record');
    out[i] = { index: m.row * columns + m.col, col: m.col, row: m.row, message: tiles[i], seq: m.seq };
  }
  return out;
}
