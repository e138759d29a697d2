import { describe, expect, it } from 'vitest';
import {
  CloseCode,
  FRAME_HEADER_BYTES,
  MOTION_HEADER_BYTES,
  MessageType,
  PROTOCOL_VERSION,
  ProtocolError,
  TILE_HEADER_BYTES,
  decodeMessage,
  encodeCursor,
  encodeError,
  encodeFrame,
  encodeGeometry,
  encodeMotion,
  encodeStatus,
  encodeSync,
  encodeTile,
  gridShape,
  parseClientControl,
  tileRect,
} from '../../shared/protocol';
import type { MotionView } from '../../shared/protocol/decode';
import { inMotionMask } from '../../shared/protocol/motion';

const geometry = { width: 200, height: 100, tileSize: 64 }; // 4 x 2 grid, clipped edges
const bytes = (...v: number[]) => new Uint8Array(v);

function rejects(data: Uint8Array, code: string, limits = {}) {
  try {
    decodeMessage(data, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe(code);
    return err as ProtocolError;
  }
  throw new Error(`expected ${code}`);
}

describe('codec round trips', () => {
  it('frame: tiles come back as views into the message, each a valid Tile message', () => {
    const tiles = [
      { col: 0, row: 0, codec: 'webp' as const, payload: bytes(1, 2, 3) },
      { col: 3, row: 1, codec: 'png' as const, payload: new Uint8Array(1000).fill(7) },
      { col: 2, row: 0, codec: 'jpeg' as const, payload: new Uint8Array(0) },
    ];
    const data = encodeFrame(42, 1700000000123.5, tiles);
    const msg = decodeMessage(data, { geometry });
    if (msg.type !== MessageType.Frame) throw new Error('not a frame');
    expect(msg.seq).toBe(42);
    expect(msg.captureTs).toBe(1700000000123.5);
    expect(msg.tiles.map((t) => [t.col, t.row, t.codec, t.seq, [...t.payload.subarray(0, 3)]])).toEqual([
      [0, 0, 'webp', 42, [1, 2, 3]],
      [3, 1, 'png', 42, [7, 7, 7]],
      [2, 0, 'jpeg', 42, []],
    ]);
    // zero copy: payload and record share the message's memory
    expect(msg.tiles[1].payload.buffer).toBe(data.buffer);
    expect(msg.tiles[1].record.byteOffset).toBe(FRAME_HEADER_BYTES + TILE_HEADER_BYTES + 3);
    const asTile = decodeMessage(msg.tiles[1].record);
    expect(asTile.type).toBe(MessageType.Tile);
  });

  it.each([
    ['geometry', encodeGeometry(geometry), { type: MessageType.Geometry, geometry }],
    ['cursor', encodeCursor(10.4, 65535, true), { type: MessageType.Cursor, x: 10, y: 65535, visible: true }],
    ['hidden cursor', encodeCursor(-5, 3, false), { type: MessageType.Cursor, x: 0, y: 3, visible: false }],
    ['sync', encodeSync(7, 123.25, 99), { type: MessageType.Sync, seq: 7, captureTs: 123.25, skipped: 99 }],
    ['status', encodeStatus('reconnecting', 12), { type: MessageType.Status, state: 'reconnecting', viewers: 12 }],
    ['error', encodeError(4401, 'wrong token ✓'), { type: MessageType.Error, code: 4401, message: 'wrong token ✓' }],
  ])('%s', (_name, data, expected) => {
    expect(decodeMessage(data)).toEqual(expected);
  });

  it('tile message', () => {
    const msg = decodeMessage(encodeTile({ col: 1, row: 1, codec: 'png', payload: bytes(9, 8) }, 5));
    expect(msg).toMatchObject({ type: MessageType.Tile, col: 1, row: 1, codec: 'png', seq: 5 });
  });

  it('grid arithmetic clips edge tiles', () => {
    expect(gridShape(geometry)).toEqual({ columns: 4, rows: 2, tiles: 8 });
    expect(tileRect(geometry, 3, 1)).toEqual({ x: 192, y: 64, width: 8, height: 36 });
  });
});

describe('codec rejections carry a code and a close code', () => {
  const frame = encodeFrame(1, 0, [{ col: 1, row: 1, codec: 'webp', payload: new Uint8Array(100) }]);

  it('empty and one-byte messages are truncated', () => {
    rejects(bytes(), 'TRUNCATED');
    rejects(bytes(PROTOCOL_VERSION), 'TRUNCATED');
  });
  it('wrong version', () => {
    const e = rejects(bytes(9, MessageType.Geometry, 0, 0), 'WRONG_VERSION');
    expect(e.closeCode).toBe(CloseCode.UnsupportedVersion);
  });
  it('unknown type', () => {
    const e = rejects(bytes(PROTOCOL_VERSION, 0x7f), 'UNKNOWN_TYPE');
    expect(e.closeCode).toBe(CloseCode.BadMessage);
    expect(e.message).toContain('0x7f');
  });
  it('frame truncated at every length', () => {
    for (let n = 2; n < frame.byteLength; n++) rejects(frame.subarray(0, n), 'TRUNCATED', { geometry });
  });
  it('trailing bytes after a frame', () => {
    const longer = new Uint8Array(frame.byteLength + 3);
    longer.set(frame);
    rejects(longer, 'TRAILING_BYTES', { geometry });
  });
  it('tile outside the geometry', () => {
    const e = rejects(
      encodeFrame(1, 0, [{ col: 4, row: 0, codec: 'png', payload: bytes(1) }]),
      'TILE_OUTSIDE_GEOMETRY',
      { geometry },
    );
    expect(e.message).toContain('4x2');
  });
  it('payload over the limit', () => {
    rejects(frame, 'PAYLOAD_TOO_LARGE', { geometry, maxTileBytes: 99 });
    expect(() => decodeMessage(frame, { geometry, maxTileBytes: 100 })).not.toThrow();
  });
  it('too many tiles per frame', () => {
    const e = rejects(frame, 'TOO_MANY_TILES', { geometry, maxTilesPerFrame: 0 });
    expect(e.closeCode).toBe(CloseCode.RoomLimit);
  });
  it('frame before geometry', () => {
    rejects(frame, 'NO_GEOMETRY', { geometry: null });
  });
  it('unknown codec', () => {
    const bad = frame.slice();
    bad[FRAME_HEADER_BYTES + 2] = 9;
    rejects(bad, 'BAD_CODEC', { geometry });
  });
  it('a frame record that is not a tile', () => {
    const bad = frame.slice();
    bad[FRAME_HEADER_BYTES + 1] = MessageType.Sync;
    rejects(bad, 'UNEXPECTED_TYPE', { geometry });
  });
  it('bad geometry values', () => {
    rejects(encodeGeometry({ width: 0, height: 10, tileSize: 64 }), 'BAD_GEOMETRY');
    rejects(encodeGeometry({ width: 100, height: 10, tileSize: 8 }), 'BAD_GEOMETRY');
    rejects(encodeGeometry({ width: 9000, height: 10, tileSize: 64 }), 'BAD_GEOMETRY');
  });
  it('fixed-size messages with the wrong length', () => {
    rejects(encodeGeometry(geometry).subarray(0, 7), 'TRUNCATED');
    rejects(new Uint8Array([...encodeCursor(1, 1), 0]), 'TRAILING_BYTES');
    const status = encodeStatus('live', 1);
    status[2] = 9;
    rejects(status, 'UNKNOWN_TYPE');
  });
  it('control JSON is validated', () => {
    expect(parseClientControl('{"type":"hello","protocol":1}')).toEqual({ type: 'hello', protocol: 1 });
    expect(() => parseClientControl('{"type":"hello","protocol":2}')).toThrow();
    expect(() => parseClientControl('{"type":"nope"}')).toThrow();
    expect(() => parseClientControl('not json')).toThrow(SyntaxError);
  });
});

describe('motion tile masks', () => {
  const region = { col: 0, row: 0, columns: 3, rows: 2 }; // 6 tiles: one mask byte, two spare bits
  const base = { key: false, codec: 'vp8' as const, seq: 4, captureTs: 10, ...region, payload: bytes(1, 7, 7) };

  it('a masked chunk carries one bit per tile of the region, read back as a view', () => {
    const mask = bytes(0b100101);
    const m = encodeMotion({ ...base, mask });
    expect(m.byteLength).toBe(MOTION_HEADER_BYTES + 1 + 3);
    const d = decodeMessage(m, { geometry }) as MotionView & { type: number };
    expect([...d.mask!]).toEqual([0b100101]);
    expect([...d.payload]).toEqual([1, 7, 7]);
    expect([0, 1, 2, 3, 4, 5].map((i) => inMotionMask(d.mask!, i))).toEqual([true, false, true, false, false, true]);
    // without a mask: the whole region, as before
    expect((decodeMessage(encodeMotion(base), { geometry }) as MotionView).mask).toBeNull();
  });

  it('a mask that marks tiles past the region, or a message cut inside the mask, is refused', () => {
    const past = encodeMotion({ ...base, mask: bytes(0b1000000) });
    expect(rejects(past, 'BAD_MOTION', { geometry }).message).toMatch(/mask marks tiles past/);
    const m = encodeMotion({ ...base, mask: bytes(1) });
    rejects(m.subarray(0, MOTION_HEADER_BYTES), 'TRUNCATED', { geometry });
    expect(() => encodeMotion({ ...base, mask: bytes(1, 0) })).toThrow(RangeError);
  });
});
