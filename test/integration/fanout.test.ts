// One presenter, a fast viewer, a viewer whose TCP socket stops reading, and a late joiner, on both engines.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { FRAME_HEADER_BYTES, MessageType, TILE_HEADER_BYTES, encodeFrame, encodeGeometry } from '../../shared/protocol';
import { type TestClient, connect } from '../helpers/client';
import { pictureDiff } from '../helpers/picture-diff';
import { RawViewer } from '../helpers/raw-viewer';
import { ENGINES, createRoom, startTestServer, waitFor, wsUrl } from '../helpers/server';

const GEOMETRY = { width: 512, height: 512, tileSize: 64 }; // 8 x 8 = 64 tiles
const TILES = 64;
const TILE_BYTES = 8 * 1024;
const FRAMES = 80;
const HIGH_WATER = 64 * 1024;

function screenshotPicture(server: TilecastServer, id: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const t of server.rooms.get(id)!.keyframe().tiles)
    if (t) out.set(`${t.col},${t.row}`, Buffer.from(t.message.subarray(TILE_HEADER_BYTES)));
  return out;
}

const MODES = ENGINES.flatMap((engine) => [
  { engine, batchFanout: false },
  { engine, batchFanout: true },
]);

describe.each(MODES)('fan-out on $engine (batched: $batchFanout)', ({ engine, batchFanout }) => {
  let server: TilecastServer;
  beforeAll(async () => {
    server = await startTestServer(engine, { viewerHighWaterBytes: HIGH_WATER, batchFanout });
  });
  afterAll(() => server.close());

  it('fast viewer gets every frame, stalled viewer stays bounded and converges, late joiner gets the full picture', async () => {
    const room = await createRoom(server);
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    const fast = await connect(wsUrl(server, `/ws/view/${room.id}`));
    const stalled = await RawViewer.open(server.port, `/ws/view/${room.id}`);
    stalled.stall();
    await waitFor('two viewers', () => server.rooms.get(room.id)!.viewerCount === 2);

    // Each frame changes about two thirds of the tiles with fresh random bytes: ~350 KiB a frame.
    for (let seq = 1; seq <= FRAMES; seq++) {
      const tiles = [];
      for (let i = 0; i < TILES; i++)
        if ((i + seq) % 3 !== 0 || seq === 1)
          tiles.push({ col: i % 8, row: i >> 3, codec: 'webp' as const, payload: randomBytes(TILE_BYTES) });
      presenter.send(encodeFrame(seq, Date.now(), tiles));
      await waitFor(`fast viewer sync ${seq}`, () => fast.syncs.includes(seq), 10_000);
    }

    // The fast viewer saw every frame, none coalesced, and holds exactly the ScreenShot.
    expect(fast.syncs).toEqual(Array.from({ length: FRAMES }, (_, i) => i + 1));
    expect(fast.skipped).toBe(0);
    // batched: the caught-up viewer got each frame as one message carrying its sync; otherwise a message per tile
    expect(fast.of(MessageType.Frame).length > 0).toBe(batchFanout);
    if (batchFanout) expect(fast.of(MessageType.Sync)).toHaveLength(0);
    const truth = screenshotPicture(server, room.id);
    expect(truth.size).toBe(TILES);
    expect(pictureDiff(fast.synced, truth)).toEqual([]);

    // The stalled viewer: bounded by the tile count and the high-water mark, however much it missed.
    const stats = server.rooms.get(room.id)!.viewerStats();
    const slow = stats.find((s) => s.tilesSent < FRAMES * 40)!;
    expect(slow).toBeDefined();
    expect(slow.pending).toBeLessThanOrEqual(TILES);
    expect(slow.gridTiles).toBe(TILES);
    // one message past the high-water mark at most: a tile, or a whole frame when batched
    const largestMessage = batchFanout
      ? FRAME_HEADER_BYTES + TILES * (TILE_HEADER_BYTES + TILE_BYTES)
      : TILE_HEADER_BYTES + TILE_BYTES;
    expect(slow.buffered).toBeLessThanOrEqual(HIGH_WATER + largestMessage + 64);
    expect(slow.coalesced).toBeGreaterThan(0);
    const fastStats = stats.find((s) => s !== slow)!;
    expect(fastStats.coalesced).toBe(0);

    // A late joiner gets the whole picture at once, through the same sender.
    const joinedAt = Date.now();
    const late = await connect(wsUrl(server, `/ws/view/${room.id}`));
    await late.waitSync(FRAMES);
    const lateMs = Date.now() - joinedAt;
    expect(pictureDiff(late.synced, truth)).toEqual([]);
    expect(late.tilesReceived()).toBe(TILES);
    expect(lateMs).toBeLessThan(2000);

    // Once the stalled viewer reads again it converges to the ScreenShot and learns how much it skipped.
    stalled.resume();
    // the sync comes after every tile of the picture it announces: nothing more is on its way
    await waitFor('stalled viewer converges', () => stalled.syncs.includes(FRAMES), 10_000);
    expect(stalled.errors).toEqual([]);
    expect(pictureDiff(stalled.picture, truth)).toEqual([]);
    expect(stalled.skipped).toBeGreaterThan(0);
    expect(stalled.tiles).toBeLessThan(fast.tilesReceived());

    for (const c of [presenter, fast, late] as TestClient[]) await c.close();
    stalled.destroy();
  });

  it('a big room yields to the event loop between fan-out steps and still delivers every frame to everyone', async () => {
    // a batched viewer costs one update per frame, a grid viewer one per tile: budgets that force yields in both
    const yielding = await startTestServer(engine, { fanoutBudget: batchFanout ? 8 : 200, batchFanout });
    try {
      const room = await createRoom(yielding);
      const presenter = await connect(wsUrl(yielding, `/ws/present/${room.id}?token=${room.presenterToken}`));
      presenter.send(encodeGeometry(GEOMETRY));
      const viewers = await Promise.all(
        Array.from({ length: 30 }, () => connect(wsUrl(yielding, `/ws/view/${room.id}`))),
      );
      await waitFor('30 viewers', () => yielding.rooms.get(room.id)!.viewerCount === 30);
      // Another room on the same server must keep being served while the big one fans out.
      const other = await createRoom(yielding);
      const otherPresenter = await connect(wsUrl(yielding, `/ws/present/${other.id}?token=${other.presenterToken}`));
      otherPresenter.send(encodeGeometry({ width: 64, height: 64, tileSize: 64 }));
      const otherViewer = await connect(wsUrl(yielding, `/ws/view/${other.id}`));
      for (let seq = 1; seq <= 5; seq++) {
        const tiles = Array.from({ length: TILES }, (_, i) => ({
          col: i % 8,
          row: i >> 3,
          codec: 'png' as const,
          payload: randomBytes(64),
        }));
        presenter.send(encodeFrame(seq, Date.now(), tiles));
        otherPresenter.send(encodeFrame(seq, Date.now(), [{ col: 0, row: 0, codec: 'png', payload: randomBytes(8) }]));
      }
      await waitFor('every viewer has frame 5', () => viewers.every((v) => v.syncs.includes(5)), 10_000);
      await otherViewer.waitSync(5);
      expect(yielding.rooms.get(room.id)!.info().fanoutYields).toBeGreaterThan(0);
      const truth = screenshotPicture(yielding, room.id);
      for (const v of viewers) expect(pictureDiff(v.synced, truth)).toEqual([]);
    } finally {
      await yielding.close();
    }
  });
});
