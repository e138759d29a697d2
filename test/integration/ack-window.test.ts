// A viewer that acks its syncs never has more than the ack window in flight: the server coalesces for it even
// when the OS socket buffers would have swallowed megabytes without any backpressure showing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { CloseCode, MessageType, encodeFrame, encodeGeometry } from '../../shared/protocol';
import { connect } from '../helpers/client';
import { ENGINES, createRoom, startTestServer, waitFor, wsUrl } from '../helpers/server';

const GEOMETRY = { width: 256, height: 64, tileSize: 64 }; // 4 tiles

describe.each(ENGINES)('ack window on %s', (engine) => {
  let server: TilecastServer;
  beforeAll(async () => {
    server = await startTestServer(engine, { viewerAckWindow: 3, batchFanout: true });
  });
  afterAll(() => server.close());

  it('holds frames back past the window, coalesces them, and converges once the viewer acks', async () => {
    const room = await createRoom(server);
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    const lazy = await connect(wsUrl(server, `/ws/view/${room.id}`));
    const eager = await connect(wsUrl(server, `/ws/view/${room.id}`));
    await waitFor('welcome', () => lazy.control[0] && eager.control[0]);
    expect(lazy.control[0]).toMatchObject({ limits: { ackWindow: 3 } });
    lazy.send(JSON.stringify({ type: 'ack', syncs: 0 })); // opts in, has painted nothing
    eager.send(JSON.stringify({ type: 'ack', syncs: 0 }));
    eager.ackAlong();
    const stats = () => server.rooms.get(room.id)!.viewerStats();
    await waitFor('both viewers acking', () => stats().filter((v) => v.acked !== null).length === 2);

    for (let seq = 1; seq <= 20; seq++) {
      presenter.send(
        encodeFrame(
          seq,
          Date.now(),
          [0, 1, 2, 3].map((col) => ({ col, row: 0, codec: 'png' as const, payload: new Uint8Array([seq, col]) })),
        ),
      );
      await eager.waitSync(seq); // the acking viewer keeps up frame by frame
    }
    // frames 4..19 replaced by 20 in the held-back viewer's grid, once the server applied frame 20 to it
    await waitFor('held-back viewer coalesced', () => stats().some((s) => s.coalesced === 4 * 16));
    await waitFor('the window painted', () => lazy.syncs.length >= 3);
    expect(lazy.syncs).toEqual([1, 2, 3]); // the window, nothing more
    expect(
      stats()
        .map((s) => s.coalesced)
        .sort(),
    ).toEqual([0, 4 * 16]);

    // spelt otherwise than JSON.stringify writes it: not the canonical fast path, the same effect
    lazy.send('{ "syncs": 3, "type": "ack" }');
    await lazy.waitSync(20);
    expect(lazy.syncs).toEqual([1, 2, 3, 20]); // skipped straight to the newest picture
    expect(lazy.synced).toEqual(eager.synced);
    expect(lazy.of(MessageType.Sync).at(-1)!.skipped).toBe(64);
    for (const c of [presenter, lazy, eager]) await c.close();
  });

  it('an ack from a presenter is refused', async () => {
    const room = await createRoom(server);
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(JSON.stringify({ type: 'ack', syncs: 1 }));
    expect((await presenter.waitClosed()).code).toBe(CloseCode.NotAllowed);
  });

  it('a malformed ack is refused with a clear reason', async () => {
    const room = await createRoom(server);
    const viewer = await connect(wsUrl(server, `/ws/view/${room.id}`));
    viewer.send(JSON.stringify({ type: 'ack', syncs: -1 }));
    const closed = await viewer.waitClosed();
    expect(closed.code).toBe(CloseCode.UnsupportedData);
    expect(closed.reason).toMatch(/syncs/);
  });
});
