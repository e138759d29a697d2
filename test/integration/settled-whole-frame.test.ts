// On uWS a live frame is cut into Frame messages of at most --uws-frame-part-bytes. A viewer that acked every sync
// it was sent has nothing left in any socket buffer, so it gets the frame as the one message the presenter sent
// (one write, as a zero-logic relay makes) when that is no larger than the high-water mark plus one part (what the
// parts could leave buffered); a viewer that never acks gets the parts, and both paint the same picture.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { FrameFlag, MessageType, encodeFrame, encodeGeometry } from '../../shared/protocol';
import { type TestClient, connect } from '../helpers/client';
import { createRoom, startTestServer, waitFor, wsUrl } from '../helpers/server';

const KiB = 1024;
const GEOMETRY = { width: 512, height: 64, tileSize: 64 }; // 8 tiles in a row

/** Frame `seq` with every tile's payload `tileBytes` long, filled with the seq. */
const frame = (seq: number, tileBytes: number) =>
  encodeFrame(
    seq,
    Date.now(),
    Array.from({ length: 8 }, (_, col) => ({
      col,
      row: 0,
      codec: 'png' as const,
      payload: new Uint8Array(tileBytes).fill(seq),
    })),
  );

/** The Frame messages a client got for `seq`. */
const framesOf = (c: TestClient, seq: number) => c.of(MessageType.Frame).filter((m) => m.seq === seq);

describe('whole frames for settled viewers on uws', () => {
  let server: TilecastServer;
  beforeAll(async () => {
    server = await startTestServer('uws', {
      batchFanout: true,
      uwsFramePartBytes: 16 * KiB,
      viewerHighWaterBytes: 128 * KiB,
      viewerAckWindow: 3,
    });
  });
  afterAll(() => server.close());

  it('a viewer that acked everything gets a multi-part frame as one message; one that never acks gets the parts', async () => {
    const room = await createRoom(server);
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    const acking = await connect(wsUrl(server, `/ws/view/${room.id}`));
    const plain = await connect(wsUrl(server, `/ws/view/${room.id}`));
    acking.send(JSON.stringify({ type: 'ack', syncs: 0 }));
    acking.ackAlong();
    await waitFor('the acking viewer counted', () =>
      server.rooms
        .get(room.id)!
        .viewerStats()
        .some((s) => s.acked !== null),
    );

    // 8 x 6 KiB: ~48 KiB, three parts of at most 16 KiB, under the high-water mark
    for (let seq = 1; seq <= 3; seq++) {
      presenter.send(frame(seq, 6 * KiB));
      await acking.waitSync(seq);
      await plain.waitSync(seq);
      const whole = framesOf(acking, seq);
      expect(whole).toHaveLength(1);
      expect(whole[0].tiles.length).toBe(8);
      expect(whole[0].flags & FrameFlag.EndsWithSync).toBeTruthy();
      expect(framesOf(plain, seq).length).toBeGreaterThanOrEqual(3);
    }
    // 8 x 17 KiB: ~136 KiB, over the high-water mark but under it plus one part: still one message
    presenter.send(frame(4, 17 * KiB));
    await acking.waitSync(4);
    await plain.waitSync(4);
    expect(framesOf(acking, 4)).toHaveLength(1);
    expect(framesOf(plain, 4).length).toBeGreaterThanOrEqual(8);
    // 8 x 20 KiB: ~160 KiB, over the high-water mark plus one part: parts for everyone
    presenter.send(frame(5, 20 * KiB));
    await acking.waitSync(5);
    await plain.waitSync(5);
    expect(framesOf(acking, 5).length).toBeGreaterThanOrEqual(8);
    expect(acking.synced).toEqual(plain.synced);
    expect(acking.syncs).toEqual([1, 2, 3, 4, 5]);
    expect(plain.syncs).toEqual([1, 2, 3, 4, 5]);
    for (const c of [presenter, acking, plain]) await c.close();
  });
});
