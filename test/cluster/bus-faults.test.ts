// What a replica does with a bad bus: a frame-number gap or a new epoch -> keyframe request and resync; garbage ->
// ignored; keyframe requests from many replicas -> at most one keyframe per room per 500 ms.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { BusKind, chunk, frameBody } from '../../server/cluster/wire';
import { encodeFrame, encodeGeometry, encodeTile } from '../../shared/protocol';
import { connect } from '../helpers/client';
import { sleep, waitFor } from '../helpers/server';
import { type PrivateRedis, createRoomAt, pictureOf, samePicture, startNode, startPrivateRedis, wsAt } from './helpers';

const GEOMETRY = { width: 128, height: 64, tileSize: 32 }; // 4 x 2
const frame = (seq: number) =>
  encodeFrame(seq, Date.now(), [{ col: seq % 4, row: 0, codec: 'png', payload: new Uint8Array([seq]) }]);
const metric = async (s: TilecastServer, key: 'gaps' | 'resyncs' | 'keyframesSent') =>
  (await s.cluster!.metrics[key].get()).values[0]?.value ?? 0;

describe('replica faults on the bus', () => {
  let redis: PrivateRedis;
  let raw: Redis;
  let A: TilecastServer;
  let B: TilecastServer;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    raw = new Redis({ path: redis.socket });
    [A, B] = await Promise.all([startNode(redis, 'A', 'uws'), startNode(redis, 'B', 'ws')]);
  });
  afterAll(async () => {
    raw?.disconnect();
    await Promise.all([A?.close(), B?.close()]);
    await redis?.stop();
  });

  async function liveRoom() {
    const room = await createRoomAt(A.url);
    const presenter = await connect(wsAt(A.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    presenter.send(frame(1));
    const viewer = await connect(wsAt(B.port, `/ws/view/${room.id}`));
    await viewer.waitSync(1);
    return { room, presenter, viewer, channel: `tc:{${room.id}}:f` };
  }

  it('a gap in frame numbers makes the replica resync from a keyframe; its viewers converge', async () => {
    const { room, presenter, viewer, channel } = await liveRoom();
    const epoch = B.cluster!.roles()[room.id].epoch;
    const gaps = await metric(B, 'gaps');
    const resyncs = await metric(B, 'resyncs');
    // A forged frame far ahead in the sequence, carrying a tile the origin never had.
    const forged = encodeTile({ col: 3, row: 1, codec: 'png', payload: new Uint8Array([0xee]) }, 99);
    const tile = { index: 7, col: 3, row: 1, seq: 99, message: forged };
    for (const c of chunk(
      frameBody(99, 0, [tile]),
      { kind: BusKind.frame, epoch, frameNo: 1000, publishedAt: Date.now() },
      1 << 20,
    ))
      await raw.spublish(channel, Buffer.from(c));
    for (let i = 0; (await metric(B, 'gaps')) === gaps; i++) {
      if (i > 200) throw new Error('the replica never saw the gap');
      await sleep(10);
    }
    await waitFor('resynced', () => !B.cluster!.roles()[room.id].awaiting);
    presenter.send(frame(2));
    await viewer.waitSync(2);
    expect(await metric(B, 'resyncs')).toBeGreaterThan(resyncs);
    expect(viewer.synced.has('3,1')).toBe(false); // the forged tile was never applied
    expect(samePicture(viewer.synced, pictureOf(A, room.id))).toBe(true);
    presenter.send(JSON.stringify({ type: 'end' }));
  });

  it('garbage on a room channel is ignored; the node and its viewers go on', async () => {
    const { room, presenter, viewer, channel } = await liveRoom();
    for (const junk of [
      Buffer.alloc(0),
      Buffer.from('hello'),
      Buffer.alloc(24, 0x74),
      Buffer.from([0x74, 1, 0, 0, 1, 0, 0, 0, ...Array(16).fill(0), 1, 2, 3]),
    ])
      await raw.spublish(channel, junk);
    presenter.send(frame(2));
    await viewer.waitSync(2);
    expect(viewer.closed).toBeNull();
    expect(samePicture(viewer.synced, pictureOf(A, room.id))).toBe(true);
    presenter.send(JSON.stringify({ type: 'end' }));
  });

  it('a burst of keyframe requests gets at most one keyframe per 500 ms', async () => {
    const { room, presenter } = await liveRoom();
    const before = await metric(A, 'keyframesSent');
    const started = Date.now();
    for (let i = 0; i < 50; i++) {
      await raw.spublish(`tc:{${room.id}}:k`, Buffer.of(1));
      await sleep(20);
    }
    await sleep(600);
    const sent = (await metric(A, 'keyframesSent')) - before;
    const elapsed = Date.now() - started;
    expect(sent).toBeGreaterThanOrEqual(2);
    expect(sent).toBeLessThanOrEqual(Math.ceil(elapsed / 500) + 1);
    presenter.send(JSON.stringify({ type: 'end' }));
  });
});
