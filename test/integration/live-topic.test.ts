// Viewers that keep up get each frame through uWS's own publish (server/fanout/live-topic.ts): one Frame message
// per frame carrying its sync, exactly what the per-viewer sends delivered. A viewer that stops reading leaves the
// topic (its frames coalesce in its grid), converges when it reads again, and is published to again once caught up.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { FrameFlag, MessageType, TILE_HEADER_BYTES, encodeFrame, encodeGeometry } from '../../shared/protocol';
import { CheckedViewer } from '../helpers/checked-viewer';
import { connect } from '../helpers/client';
import { pictureDiff } from '../helpers/picture-diff';
import { ENGINES, createRoom, startTestServer, waitFor, wsUrl } from '../helpers/server';

const GEOMETRY = { width: 512, height: 256, tileSize: 64 }; // 32 tiles
/** ~30 KB frames: one part, over uWS's 16 KiB cork buffer (published by its big-message path) */
const frame = (seq: number, bytes = 900) =>
  encodeFrame(
    seq,
    Date.now(),
    Array.from({ length: 32 }, (_, i) => ({
      col: i % 8,
      row: i >> 3,
      codec: 'webp' as const,
      payload: randomBytes(bytes),
    })),
  );

describe.each(ENGINES)('live topic on %s', (engine) => {
  let server: TilecastServer;
  beforeAll(async () => {
    server = await startTestServer(engine, { viewerHighWaterBytes: 64 * 1024 });
  });
  afterAll(() => server.close());

  it('publishes to viewers that keep up, and takes a stalled one off until it caught up', async () => {
    const room = await createRoom(server);
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    const fast = await Promise.all([1, 2, 3].map(() => connect(wsUrl(server, `/ws/view/${room.id}`))));
    const raw = await CheckedViewer.open(server.port, `/ws/view/${room.id}`);
    const live = () =>
      server.rooms
        .get(room.id)!
        .viewerStats()
        .filter((v) => v.live).length;
    await waitFor('every viewer joined', () => server.rooms.get(room.id)!.viewerCount === 4);

    let seq = 0;
    const send = async (n: number, bytes?: number) => {
      for (let i = 0; i < n; i++) {
        presenter.send(frame(++seq, bytes));
        for (const c of fast) await c.waitSync(seq);
      }
    };
    await send(5);
    const before = fast.map((c) => c.messages.length);
    await send(10);
    // Live on uWS; never on ws, which has no topics. Either way each frame is one Frame message with its sync.
    expect(live()).toBe(engine === 'uws' ? 4 : 0);
    fast.forEach((c, i) => {
      const frames = c.messages.slice(before[i]).filter((m) => m.type !== MessageType.Status);
      expect(frames.map((m) => m.type)).toEqual(new Array(10).fill(MessageType.Frame));
      for (const m of frames) expect(m.type === MessageType.Frame && m.flags & FrameFlag.EndsWithSync).toBeTruthy();
      expect(c.syncs.slice(-10)).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    });

    // The raw viewer stops reading: once the kernel's buffers are full, the server coalesces for it.
    raw.stall();
    const coalesced = () =>
      server.rooms
        .get(room.id)!
        .viewerStats()
        .find((v) => v.coalesced > 0);
    while (!coalesced()) await send(5, 4000);
    expect(coalesced()!.live).toBe(false);
    expect(live()).toBe(engine === 'uws' ? 3 : 0);

    raw.resume();
    await waitFor('the stalled viewer caught up', () => raw.lastSync === seq, 20_000);
    await send(3);
    await waitFor('the stalled viewer painted the newest frame', () => raw.lastSync === seq);
    expect(live()).toBe(engine === 'uws' ? 4 : 0);

    const truth = new Map<string, Buffer>();
    for (const t of server.rooms.get(room.id)!.keyframe().tiles)
      if (t) truth.set(`${t.col},${t.row}`, Buffer.from(t.message.subarray(TILE_HEADER_BYTES)));
    expect(raw.checker.violation).toBeNull();
    expect(pictureDiff(raw.synced, truth)).toEqual([]);
    for (const c of fast) expect(pictureDiff(c.synced, truth)).toEqual([]);
    await presenter.close();
    for (const c of fast) await c.close();
    raw.destroy();
  });
});
