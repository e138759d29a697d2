// A viewer that skipped tiles once gets the shared one-message frame (carrying its sync) again as soon as it is
// caught up: `skipped` counts per sync, so a past skip no longer pushes it onto the per-viewer path (issue 11).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { FrameFlag, MessageType, encodeFrame, encodeGeometry } from '../../shared/protocol';
import { connect } from '../helpers/client';
import { ENGINES, createRoom, startTestServer, waitFor, wsUrl } from '../helpers/server';

const GEOMETRY = { width: 256, height: 64, tileSize: 64 }; // 4 tiles

const frame = (seq: number) =>
  encodeFrame(
    seq,
    Date.now(),
    [0, 1, 2, 3].map((col) => ({ col, row: 0, codec: 'png' as const, payload: new Uint8Array([seq, col]) })),
  );

describe.each(ENGINES)('shared frames after a skip on %s', (engine) => {
  let server: TilecastServer;
  beforeAll(async () => {
    server = await startTestServer(engine, { viewerAckWindow: 3, batchFanout: true });
  });
  afterAll(() => server.close());

  it('a viewer that skipped earlier gets each frame as one message with its sync once caught up', async () => {
    const room = await createRoom(server);
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    const lazy = await connect(wsUrl(server, `/ws/view/${room.id}`));
    const eager = await connect(wsUrl(server, `/ws/view/${room.id}`));
    lazy.send(JSON.stringify({ type: 'ack', syncs: 0 })); // opts in, then paints nothing: held at the window
    eager.send(JSON.stringify({ type: 'ack', syncs: 0 }));
    eager.ackAlong();
    const stats = () => server.rooms.get(room.id)!.viewerStats();
    await waitFor('both viewers acking', () => server.rooms.get(room.id)!.viewerCount === 2);

    for (let seq = 1; seq <= 10; seq++) {
      presenter.send(frame(seq));
      await eager.waitSync(seq);
    }
    // Frames 4..9 were replaced by 10 in the held-back viewer's grid: 6 frames x 4 tiles skipped.
    await waitFor('lazy viewer coalesced', () => stats().some((s) => s.coalesced === 24));
    expect(lazy.syncs).toEqual([1, 2, 3]);

    const messagesBefore = lazy.messages.length;
    lazy.send(JSON.stringify({ type: 'ack', syncs: 3 }));
    await lazy.waitSync(10);
    lazy.ackAlong();
    const catchUp = lazy.messages.slice(messagesBefore);
    // the catch-up: the newest tiles, then a sync that reports what this viewer skipped since its last one
    expect(catchUp.at(-1)).toMatchObject({ type: MessageType.Sync, seq: 10, skipped: 24 });
    expect(lazy.skipped).toBe(24);

    const caughtUpAt = lazy.messages.length;
    for (let seq = 11; seq <= 20; seq++) {
      presenter.send(frame(seq));
      await eager.waitSync(seq);
      await lazy.waitSync(seq);
    }
    // Caught up again: one Frame per frame, each carrying its sync; no separate sync, no single tiles.
    // (a throttled viewer-count status may arrive in between on a loaded machine: it is not picture data)
    const after = lazy.messages.slice(caughtUpAt).filter((m) => m.type !== MessageType.Status);
    expect(after.map((m) => m.type)).toEqual(new Array(10).fill(MessageType.Frame));
    for (const m of after) expect(m.type === MessageType.Frame && m.flags & FrameFlag.EndsWithSync).toBeTruthy();
    expect(lazy.syncs.slice(-10)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(lazy.synced).toEqual(eager.synced);
    // the server's stats still keep the running total; the client its sum of per-sync counts
    expect(
      stats()
        .map((s) => s.coalesced)
        .sort((a, b) => a - b),
    ).toEqual([0, 24]);
    expect(lazy.skipped).toBe(24);
    for (const c of [presenter, lazy, eager]) await c.close();
  });
});
