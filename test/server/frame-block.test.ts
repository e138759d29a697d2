// One buffer per frame: ingest's copy of the presenter's message is shared by the frame's tile entries (views),
// is itself the Frame a caught-up viewer gets, and never keeps more than about twice the picture alive.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TileEntry } from '../../server/frames/tile-entry';
import { type IngestLimits, ingestPresenterMessage } from '../../server/ingest/presenter-ingest';
import type { Room } from '../../server/room/room';
import {
  FRAME_HEADER_BYTES,
  FrameFlag,
  type Geometry,
  MessageType,
  TILE_HEADER_BYTES,
  decodeMessage,
  encodeFrame,
  encodeGeometry,
} from '../../shared/protocol';
import { fakeConn, turns } from '../helpers/fake-conn';
import { makeRoom } from '../helpers/room';

const G: Geometry = { width: 256, height: 256, tileSize: 64 }; // 4 x 4 tiles
const LIMITS: IngestLimits = {
  maxTileBytes: 1 << 20,
  maxTilesPerFrame: 1000,
  maxTilesPerRoom: 100_000,
  maxGeometryChangesPerSecond: 100,
};

function liveRoom(batchFanout = true): Room {
  const room = makeRoom({ highWater: 1 << 20, batchFanout });
  room.attachPresenter(fakeConn());
  ingestPresenterMessage(room, encodeGeometry(G), LIMITS);
  return room;
}

/** A payload no image sniffer recognises, `size` bytes of `fill`: tells tiles apart by content. */
const payload = (size: number, fill: number) => new Uint8Array(size).fill(fill);

function send(room: Room, seq: number, tiles: { index: number; size: number }[]): void {
  const frame = encodeFrame(
    seq,
    seq * 10,
    tiles.map((t) => ({ col: t.index % 4, row: Math.floor(t.index / 4), codec: 'png', payload: payload(t.size, seq) })),
  );
  // Engines hand ingest a view into a larger buffer (ws pools): the copy must not depend on byteOffset 0.
  const pooled = new Uint8Array(frame.byteLength + 13);
  pooled.set(frame, 7);
  ingestPresenterMessage(room, pooled.subarray(7, 7 + frame.byteLength), LIMITS);
}

const picture = (room: Room) => room.keyframe().tiles.filter((t): t is TileEntry => t !== null);
const ownsItsBytes = (t: TileEntry) =>
  t.message.byteOffset === 0 && t.message.buffer.byteLength === t.message.byteLength;

describe('one buffer per ingested frame', () => {
  it("a frame's tiles are views into one copy, stamped with the frame's seq, and that copy is what a caught-up viewer gets", async () => {
    const room = liveRoom();
    send(room, 1, [{ index: 0, size: 10 }]);
    const v = fakeConn();
    room.addViewer(v);
    await turns(2);
    v.sent.length = 0;
    send(room, 2, [
      { index: 1, size: 30 },
      { index: 2, size: 20 },
      { index: 5, size: 40 },
    ]);
    await turns(2);
    const tiles = picture(room).filter((t) => t.seq === 2);
    expect(tiles).toHaveLength(3);
    expect(new Set(tiles.map((t) => t.message.buffer)).size).toBe(1);
    for (const t of tiles) {
      const tile = decodeMessage(t.message);
      expect(tile).toMatchObject({ type: MessageType.Tile, seq: 2 });
    }
    // The viewer was sent exactly one message: the ingested copy itself, marked as a sync.
    expect(v.sent).toHaveLength(1);
    expect(v.sent[0].buffer).toBe(tiles[0].message.buffer);
    const frame = decodeMessage(v.sent[0]);
    expect(frame).toMatchObject({ type: MessageType.Frame, seq: 2, captureTs: 20, flags: FrameFlag.EndsWithSync });
    if (frame.type !== MessageType.Frame) throw new Error('not a frame');
    expect(frame.tiles.map((t) => [t.col, t.row, t.seq, t.payload.byteLength])).toEqual([
      [1, 0, 2, 30],
      [2, 0, 2, 20],
      [1, 1, 2, 40],
    ]);
  });

  it('a tile that outlives most of its frame gets a buffer of its own, with the same bytes; before that it shares', () => {
    const room = liveRoom(false);
    send(room, 1, [
      { index: 0, size: 100 },
      { index: 1, size: 100 },
      { index: 2, size: 100 },
      { index: 3, size: 100 },
    ]);
    const survivor = picture(room).find((t) => t.index === 3)!;
    const before = survivor.message.slice();
    send(room, 2, [{ index: 0, size: 10 }]); // 3 of 4 tiles still current: shared
    expect(ownsItsBytes(survivor)).toBe(false);
    send(room, 3, [{ index: 1, size: 10 }]); // half still current: shared
    expect(ownsItsBytes(survivor)).toBe(false);
    send(room, 4, [{ index: 2, size: 10 }]); // a quarter: the survivor is moved out
    expect(ownsItsBytes(survivor)).toBe(true);
    expect(survivor.message).toEqual(before);
    expect(picture(room).find((t) => t.index === 3)).toBe(survivor);
  });

  it('any stream of frames keeps every tile intact and at most about twice the picture alive', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.record({ index: fc.integer({ min: 0, max: 15 }), size: fc.integer({ min: 1, max: 300 }) }), {
            minLength: 1,
            maxLength: 16,
          }),
          { minLength: 1, maxLength: 40 },
        ),
        (frames) => {
          const room = liveRoom(false);
          const expected = new Map<number, { seq: number; size: number }>();
          frames.forEach((tiles, i) => {
            const seq = i + 1;
            send(room, seq, tiles);
            for (const t of tiles) expected.set(t.index, { seq, size: t.size });
            const shown = picture(room);
            expect(shown.map((t) => t.index).sort((a, b) => a - b)).toEqual([...expected.keys()].sort((a, b) => a - b));
            for (const t of shown) {
              const want = expected.get(t.index)!;
              expect(t.message.byteLength).toBe(TILE_HEADER_BYTES + want.size);
              expect(decodeMessage(t.message)).toMatchObject({ seq: want.seq, col: t.index % 4 });
              expect(t.message[TILE_HEADER_BYTES]).toBe(want.seq & 0xff);
            }
            // Buffers the picture keeps alive: each shared one holds its frame header plus at most twice what of it is current.
            const buffers = new Set(shown.map((t) => t.message.buffer));
            let alive = 0;
            for (const b of buffers) alive += b.byteLength;
            expect(alive).toBeLessThanOrEqual(2 * room.keyframe().bytes + buffers.size * FRAME_HEADER_BYTES);
          });
          room.end('done');
        },
      ),
      { numRuns: 200 },
    );
  });
});
