// Geometry amplification: a cap on tiles per room (4413) and on geometry changes per second (4429); a presenter
// flooding geometry changes with many viewers is stopped and another room keeps getting frames on time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { CloseCode, type Geometry, MessageType, encodeGeometry } from '../../shared/protocol';
import { type TestClient, connect } from '../helpers/client';
import { ENGINES, createRoom, sleep, startTestServer, waitFor, wsUrl } from '../helpers/server';
import { rssMB, startHeartbeat } from './helpers';

const RATE = 10;

describe.each(ENGINES)('geometry limits on %s', (engine) => {
  let server: TilecastServer;

  beforeAll(async () => {
    server = await startTestServer(engine, { maxTilesPerRoom: 8192, maxGeometryChangesPerSecond: RATE });
  });
  afterAll(() => server.close());

  async function presenter(roomId: string, token: string) {
    return connect(wsUrl(server, `/ws/present/${roomId}?token=${token}`));
  }

  it('a grid of exactly --max-tiles-per-room is accepted, one row more is refused with 4413 and the numbers', async () => {
    const room = await createRoom(server);
    const p = await presenter(room.id, room.presenterToken);
    p.send(encodeGeometry({ width: 8192, height: 4096, tileSize: 64 })); // 128 x 64 = 8192 tiles
    await waitFor('geometry', () => server.rooms.get(room.id)!.geometry?.height === 4096);
    const sent = Date.now();
    p.send(encodeGeometry({ width: 8192, height: 4097, tileSize: 64 })); // 128 x 65
    const closed = await p.waitClosed();
    expect(Date.now() - sent).toBeLessThan(1000);
    expect(closed.code).toBe(CloseCode.RoomLimit);
    expect(closed.reason).toContain('8320 tiles');
    expect(closed.reason).toContain('8192');
    // the room keeps the geometry it had
    expect(server.rooms.get(room.id)!.geometry).toEqual({ width: 8192, height: 4096, tileSize: 64 });
    const huge = await createRoom(server);
    const q = await presenter(huge.id, huge.presenterToken);
    q.send(encodeGeometry({ width: 8192, height: 8192, tileSize: 16 }));
    expect((await q.waitClosed()).code).toBe(CloseCode.RoomLimit);
    expect(server.rooms.get(huge.id)!.geometry).toBeNull();
  });

  it('the welcome tells the presenter both limits', async () => {
    const room = await createRoom(server);
    const p = await presenter(room.id, room.presenterToken);
    await waitFor('welcome', () => p.control.length > 0);
    expect(p.control[0]).toMatchObject({
      type: 'welcome',
      limits: { maxTilesPerRoom: 8192, maxGeometryChangesPerSecond: RATE },
    });
    await p.close();
  });

  it(`a geometry flood (~150/s, reconnecting) with 100 viewers is closed with 4429; another room keeps its frames`, async () => {
    const room = await createRoom(server);
    const viewers: TestClient[] = await Promise.all(
      Array.from({ length: 100 }, () => connect(wsUrl(server, `/ws/view/${room.id}`))),
    );
    const heartbeat = await startHeartbeat(server);
    const rss = rssMB();
    let peak = rss;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMB())), 10);
    const a: Geometry = { width: 8192, height: 4096, tileSize: 64 };
    const b: Geometry = { width: 4096, height: 8192, tileSize: 64 };
    const closes: { code: number; afterMs: number }[] = [];
    let sent = 0;
    const started = Date.now();
    const floodMs = 2000;
    while (Date.now() - started < floodMs) {
      const p = await presenter(room.id, room.presenterToken);
      const opened = Date.now();
      while (!p.closed && Date.now() - started < floodMs) {
        p.send(encodeGeometry(sent++ % 2 ? a : b));
        await sleep(6);
      }
      if (p.closed) closes.push({ code: p.closed.code, afterMs: Date.now() - opened });
      else p.terminate(); // a drop, not an end: the room waits for its presenter
    }
    clearInterval(sampler);
    const { syncs, maxGapMs } = await heartbeat.stop();
    // every flooding connection was stopped by the rate limit, quickly
    expect(closes.length).toBeGreaterThanOrEqual(2);
    for (const c of closes) {
      expect(c.code).toBe(CloseCode.RateLimited);
      expect(c.afterMs).toBeLessThan(1100);
    }
    // what viewers got: at most RATE changes in any one-second window (2 x RATE across a window edge)
    const seen = viewers[0].of(MessageType.Geometry).length;
    expect(seen).toBeLessThanOrEqual(RATE * (floodMs / 1000 + 1));
    expect(sent).toBeGreaterThan(seen * 2);
    expect(syncs).toBeGreaterThan(floodMs / 20 / 3);
    expect(maxGapMs).toBeLessThan(500);
    expect(peak - rss).toBeLessThan(100);
    // the room lives on with its viewers and owes them nothing
    const stats = server.rooms.get(room.id)!.viewerStats();
    expect(stats.length).toBe(100);
    for (const v of stats) expect(v.pending).toBe(0);
    await Promise.all(viewers.map((v) => v.close()));
  });
});
