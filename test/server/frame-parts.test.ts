// Frames and keyframes as shared parts (live frames of at most the connection's partBytes, joiners' keyframes of at
// most its corkBytes) and a sender that never hands the engine more than corkBytes in one cork: on uWS the memory a
// viewer costs depends on both.
import { describe, expect, it } from 'vitest';
import { Fanout } from '../../server/fanout/fanout';
import { FrameParts } from '../../server/frames/frame-parts';
import type { IngestedFrame, TileEntry } from '../../server/frames/tile-entry';
import {
  FRAME_HEADER_BYTES,
  FrameFlag,
  MessageType,
  PictureModel,
  decodeMessage,
  encodeGeometry,
  encodeStatus,
  encodeTile,
} from '../../shared/protocol';
import { type FakeConn, fakeConn, turns } from '../helpers/fake-conn';

const TILES = 16;
const GEOMETRY = encodeGeometry({ width: 64 * TILES, height: 64, tileSize: 64 });

/** A tile whose payload bytes are all its seq: a picture shows which version of each tile it holds. */
function tile(index: number, seq: number, payload = 100): TileEntry {
  return {
    index,
    col: index,
    row: 0,
    seq,
    message: encodeTile({ col: index, row: 0, codec: 'png', payload: new Uint8Array(payload).fill(seq) }, seq),
  };
}

function frame(ingestNo: number, indices: number[], payload = 100): IngestedFrame {
  return {
    seq: ingestNo,
    captureTs: ingestNo * 10,
    receivedAt: 0,
    ingestNo,
    tiles: indices.map((i) => tile(i, ingestNo, payload)),
  };
}

/** A fake engine with a chunk size, recording the bytes handed over in each cork. */
function chunkedConn(chunkBytes: number): FakeConn & { corks: number[] } {
  const conn = Object.assign(fakeConn(), { corkBytes: chunkBytes, partBytes: chunkBytes, corks: [] as number[] });
  conn.cork = (fn) => {
    const before = conn.sent.reduce((n, m) => n + m.byteLength, 0);
    fn();
    conn.corks.push(conn.sent.reduce((n, m) => n + m.byteLength, 0) - before);
  };
  return conn;
}

/**
 * What a viewer painted from these messages, through the one picture model every client uses: tile index -> the
 * seq its payload carries (see `tile`), as of the last sync, and that sync's seq.
 */
function picture(conn: FakeConn): { tiles: Map<number, number>; synced: number | null } {
  const model = new PictureModel();
  for (const m of conn.decoded()) model.apply(m);
  const tiles = new Map([...model.synced].map(([at, payload]) => [Number(at.split(',')[0]), payload[0]]));
  return { tiles, synced: model.syncs.at(-1) ?? null };
}

describe('FrameParts', () => {
  it('splits tiles into Frame messages of at most partBytes, a larger tile alone; only the last may carry the sync', () => {
    const tiles = [tile(0, 1, 100), tile(1, 1, 100), tile(2, 1, 500), tile(3, 1, 100)];
    const parts = new FrameParts(tiles, 7, 70, 300);
    expect(parts.ends).toEqual([2, 3, 4]);
    const decoded = [0, 1, 2].map((p) => decodeMessage(parts.message(p, true)));
    expect(decoded.map((m) => m.type === MessageType.Frame && [m.flags, m.tiles.map((t) => t.col)])).toEqual([
      [0, [0, 1]],
      [0, [2]],
      [FrameFlag.EndsWithSync, [3]],
    ]);
    expect(decoded.every((m) => m.type === MessageType.Frame && m.seq === 7 && m.captureTs === 70)).toBe(true);
    expect(parts.message(0, true).byteLength).toBeLessThanOrEqual(300);
    expect(parts.tileBytes).toEqual([232, 516, 116]);
    // the variants share every part but the last, and each is built once
    expect(parts.message(0, false)).toBe(parts.message(0, true));
    expect(decodeMessage(parts.message(2, false))).toMatchObject({ flags: 0 });
    expect(parts.message(2, true)).toBe(parts.message(2, true));
  });

  it('with no limit a frame is one message, byte for byte the frame header and its tile records', () => {
    const tiles = [tile(0, 3), tile(5, 3)];
    const parts = new FrameParts(tiles, 3, 30, Number.POSITIVE_INFINITY);
    expect(parts.count).toBe(1);
    const message = parts.message(0, true);
    expect(message.byteLength).toBe(FRAME_HEADER_BYTES + 2 * 116);
    expect(Buffer.from(message.subarray(FRAME_HEADER_BYTES + 116)).equals(Buffer.from(tiles[1].message))).toBe(true);
  });
});

describe('Sender with an engine chunk size', () => {
  const CHUNK = 1000;
  const make = (batching: boolean, highWater = 1e6) =>
    new Fanout(
      1e6,
      highWater,
      { bytesOut: 0 },
      (err) => {
        throw err;
      },
      batching,
    );

  it('a caught-up viewer gets a big frame as shared parts that each fit a chunk, the last one carrying the sync', async () => {
    const fanout = make(true);
    const [a, b] = [chunkedConn(CHUNK), chunkedConn(CHUNK)];
    const empty = { ingestNo: 0, seq: 0, captureTs: 0, tiles: new Array(TILES).fill(null) };
    for (const c of [a, b])
      fanout.join(c, encodeStatus('live', 1), { geometry: GEOMETRY, keyframe: empty, cursor: null });
    await turns();
    for (const c of [a, b]) c.sent.length = 0;
    fanout.publish(frame(1, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]));
    await turns();
    expect(a.sent.length).toBeGreaterThan(1);
    expect(a.sent.every((m) => m.byteLength <= CHUNK)).toBe(true);
    expect(a.sent.every((m, i) => m === b.sent[i])).toBe(true); // shared, not copied per viewer
    expect(a.script().at(-1)).toMatch(/\+sync$/);
    expect(
      a
        .script()
        .slice(0, -1)
        .some((l) => l.endsWith('+sync')),
    ).toBe(false);
    expect(picture(a)).toEqual({ tiles: new Map(Array.from({ length: 12 }, (_, i) => [i, 1])), synced: 1 });
  });

  it('a joiner gets the keyframe as parts in corks of at most one chunk, then frames; every cork fits', async () => {
    for (const batching of [true, false]) {
      const fanout = make(batching);
      const keyframe = {
        ingestNo: 4,
        seq: 4,
        captureTs: 40,
        tiles: Array.from({ length: TILES }, (_, i) => tile(i, 4)),
      };
      const c = chunkedConn(CHUNK);
      fanout.join(c, encodeStatus('live', 1), { geometry: GEOMETRY, keyframe, cursor: null });
      expect(c.script()).toEqual(['geometry 1024x64/64', 'status live 1']); // the keyframe waits a turn
      await turns();
      expect(c.corks.length).toBeGreaterThan(1);
      expect(c.corks.every((bytes) => bytes <= CHUNK)).toBe(true);
      expect(picture(c)).toEqual({ tiles: new Map(Array.from({ length: TILES }, (_, i) => [i, 4])), synced: 4 });
      fanout.publish(frame(5, [3]));
      await turns();
      expect(picture(c).tiles.get(3)).toBe(5);
      expect(picture(c).synced).toBe(5);
    }
  });

  it("live frames are cut at partBytes, joiners' keyframes at corkBytes", async () => {
    const fanout = make(true);
    const keyframe = { ingestNo: 1, seq: 1, captureTs: 10, tiles: Array.from({ length: TILES }, (_, i) => tile(i, 1)) };
    const c = Object.assign(chunkedConn(1000), { partBytes: 3000 });
    fanout.join(c, encodeStatus('live', 1), { geometry: GEOMETRY, keyframe, cursor: null });
    await turns();
    const frames = () => c.sent.filter((m) => decodeMessage(m).type === MessageType.Frame);
    expect(Math.max(...frames().map((m) => m.byteLength))).toBeLessThanOrEqual(1000);
    c.sent.length = 0;
    fanout.publish(
      frame(
        2,
        Array.from({ length: TILES }, (_, i) => i),
        300,
      ),
    );
    await turns();
    const sizes = frames().map((m) => m.byteLength);
    expect(sizes.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBeGreaterThan(1000);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(3000);
    expect(picture(c)).toEqual({ tiles: new Map(Array.from({ length: TILES }, (_, i) => [i, 2])), synced: 2 });
  });

  it('every joiner, the first on a picture too, gets the ScreenShot as parts, shared by joiners on it', async () => {
    const fanout = make(true);
    const keyframe = { ingestNo: 2, seq: 2, captureTs: 20, tiles: Array.from({ length: TILES }, (_, i) => tile(i, 2)) };
    const [a, b] = [chunkedConn(CHUNK), chunkedConn(CHUNK)];
    for (const c of [a, b]) fanout.join(c, encodeStatus('live', 1), { geometry: GEOMETRY, keyframe, cursor: null });
    await turns();
    const frames = (c: FakeConn) => c.sent.filter((m) => decodeMessage(m).type === MessageType.Frame);
    expect(frames(a).length).toBeGreaterThan(1);
    expect(frames(a).every((m, i) => m === frames(b)[i])).toBe(true);
    // A browser pays per message: no joiner is sent the picture tile by tile.
    for (const c of [a, b]) {
      expect(c.sent.filter((m) => decodeMessage(m).type === MessageType.Tile)).toEqual([]);
      expect(picture(c)).toEqual({ tiles: new Map(Array.from({ length: TILES }, (_, i) => [i, 2])), synced: 2 });
    }
  });

  it('parts stop at the high-water mark and resume on drain; a newer frame meanwhile wins, with one sync', async () => {
    const fanout = make(true, 1500);
    const c = chunkedConn(CHUNK);
    const empty = { ingestNo: 0, seq: 0, captureTs: 0, tiles: new Array(TILES).fill(null) };
    const v = fanout.join(c, encodeStatus('live', 1), { geometry: GEOMETRY, keyframe: empty, cursor: null });
    await turns();
    c.sent.length = 0;
    fanout.publish(frame(1, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 200));
    await turns();
    const first = c.sent.length;
    expect(c.buffered).toBeGreaterThanOrEqual(1500);
    expect(picture(c).synced).toBeNull(); // cut short by the high-water mark: no sync yet
    fanout.publish(frame(2, [0, 11]));
    await turns();
    expect(c.sent.length).toBe(first); // still over the mark
    for (let i = 0; i < 20 && picture(c).synced !== 2; i++) {
      c.flushed();
      fanout.drain(v);
    }
    const { tiles, synced } = picture(c);
    expect(synced).toBe(2);
    expect([tiles.get(0), tiles.get(5), tiles.get(11)]).toEqual([2, 1, 2]);
    expect(fanout.stats()[0]).toMatchObject({ pending: 0 });
  });
});
