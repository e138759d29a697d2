// The motion layer across nodes, over a real redis-server: a presenter's motion chunks on the origin reach viewers
// on a replica in order, as the same bytes; a viewer that joins the replica mid-stream starts at the next key, which
// the replica asks the origin's presenter for.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { MessageType, encodeFrame, encodeGeometry } from '../../shared/protocol';
import { type TestClient, connect } from '../helpers/client';
import { motionMessage } from '../helpers/motion-message';
import { waitFor } from '../helpers/server';
import { type PrivateRedis, createRoomAt, startNode, startPrivateRedis, wsAt } from './helpers';

const GEOMETRY = { width: 256, height: 128, tileSize: 64 }; // 4 x 2 tiles

const motionSeqs = (v: TestClient) => v.of(MessageType.Motion).map((m) => m.seq);

describe.each([['uws', 'ws'] as const, ['ws', 'uws'] as const])(
  'motion across nodes (origin %s, replica %s)',
  (ea, eb) => {
    let redis: PrivateRedis;
    let A: TilecastServer;
    let B: TilecastServer;
    beforeAll(async () => {
      redis = await startPrivateRedis();
      [A, B] = await Promise.all([startNode(redis, 'A', ea), startNode(redis, 'B', eb)]);
    });
    afterAll(async () => {
      await Promise.all([A?.close(), B?.close()]);
      await redis?.stop();
    });

    it('a replica relays the chunks in order as the same bytes; a mid-stream joiner starts at the next key', async () => {
      const room = await createRoomAt(A.url);
      const presenter = await connect(wsAt(A.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
      presenter.send(encodeGeometry(GEOMETRY));
      presenter.send(encodeFrame(1, Date.now(), [{ col: 3, row: 1, codec: 'png', payload: new Uint8Array([1]) }]));
      const early = await connect(wsAt(B.port, `/ws/view/${room.id}`));
      await early.waitSync(1);

      const sent = new Map<number, Uint8Array>();
      const send = (key: boolean, seq: number) => {
        const m = motionMessage(key, { seq });
        sent.set(seq, m);
        presenter.send(m);
      };
      send(true, 10);
      for (let seq = 11; seq <= 14; seq++) send(false, seq);
      await waitFor('chunks on the replica', () => motionSeqs(early).length === 5);
      expect(motionSeqs(early)).toEqual([10, 11, 12, 13, 14]);

      // Joins mid-stream: the deltas of the current key are not for it.
      const late = await connect(wsAt(B.port, `/ws/view/${room.id}`));
      await late.waitSync(1);
      send(false, 15);
      send(false, 16);
      send(true, 20);
      send(false, 21);
      await waitFor('the next key on both', () => motionSeqs(early).length === 9 && motionSeqs(late).length === 2);
      expect(motionSeqs(early)).toEqual([10, 11, 12, 13, 14, 15, 16, 20, 21]);
      expect(motionSeqs(late)).toEqual([20, 21]);
      // The bytes each viewer got are the presenter's message, as it sent it.
      const raw: Buffer[] = [];
      early.ws.on('message', (d: Buffer) => raw.push(d));
      send(false, 22);
      await waitFor('one more chunk', () => raw.length === 1);
      expect(Buffer.compare(raw[0], Buffer.from(sent.get(22)!))).toBe(0);
      expect(early.decodeErrors).toEqual([]);
      presenter.ws.close();
    });

    it("a replica viewer waiting for a key gets the origin's presenter asked for one; in the stream, nothing more is asked", async () => {
      const room = await createRoomAt(A.url);
      const presenter = await connect(wsAt(A.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
      presenter.send(encodeGeometry(GEOMETRY));
      presenter.send(encodeFrame(1, Date.now(), [{ col: 3, row: 1, codec: 'png', payload: new Uint8Array([1]) }]));
      presenter.send(motionMessage(true, { seq: 10 }));
      const asked = () => presenter.control.filter((m) => m.type === 'motionKey').length;
      // Nobody waits on the origin (it has no viewers): any request the presenter gets comes from the replica.
      const viewer = await connect(wsAt(B.port, `/ws/view/${room.id}`));
      await viewer.waitSync(1);
      const before = asked();
      presenter.send(motionMessage(false, { seq: 11 })); // the replica's viewer joined after the key: it waits
      await waitFor('a motion key request from the replica', () => asked() > before);
      presenter.send(motionMessage(true, { seq: 20 }));
      presenter.send(motionMessage(false, { seq: 21 }));
      await waitFor('the requested key on the replica', () => motionSeqs(viewer).length === 2);
      expect(motionSeqs(viewer)).toEqual([20, 21]);
      // In the stream now: more deltas ask for nothing.
      const inStream = asked();
      for (let seq = 22; seq <= 24; seq++) presenter.send(motionMessage(false, { seq }));
      await waitFor('the deltas on the replica', () => motionSeqs(viewer).length === 5);
      await new Promise((r) => setTimeout(r, 100));
      expect(asked()).toBe(inStream);
      presenter.ws.close();
    });
  },
);
