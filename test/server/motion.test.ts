// The motion relay over fake connections: one buffer for every viewer, a viewer that cannot take a delta drops the
// rest of that stream until the next key, joiners and geometry changes wait for a key, and a delta that does not
// continue the stream is refused at ingest.
import { describe, expect, it } from 'vitest';
import { Fanout } from '../../server/fanout/fanout';
import type { MotionChunk } from '../../server/fanout/motion';
import type { ViewerHandle } from '../../server/fanout/viewer';
import type { Keyframe } from '../../server/frames/tile-entry';
import { ProtocolError, encodeGeometry, encodeMotion, encodeStatus } from '../../shared/protocol';
import { type FakeConn, fakeConn, turns } from '../helpers/fake-conn';

const HIGH_WATER = 1000;
const REGION = { col: 0, row: 0, columns: 2, rows: 1 };
const EMPTY: Keyframe = { ingestNo: 0, seq: 0, captureTs: 0, tiles: [null, null, null, null] };
const GEOMETRY = encodeGeometry({ width: 256, height: 64, tileSize: 64 });

function chunk(seq: number, key: boolean, region = REGION): MotionChunk {
  const message = encodeMotion({ key, codec: 'vp8', seq, captureTs: seq, ...region, payload: new Uint8Array(40) });
  return { key, codec: 'vp8', region, message };
}

function makeFanout(ackWindow = Number.POSITIVE_INFINITY) {
  const totals = { bytesOut: 0 };
  const fanout = new Fanout(1e6, HIGH_WATER, totals, () => {}, true, ackWindow);
  return { fanout, totals };
}

function join(fanout: Fanout, conn: FakeConn): ViewerHandle {
  const v = fanout.join(conn, encodeStatus('live', 1), { geometry: GEOMETRY, keyframe: EMPTY, cursor: null });
  conn.sent.length = 0;
  return v;
}

const motions = (c: FakeConn) => c.script().filter((l) => l.startsWith('motion'));

describe('MotionRelay', () => {
  it('relays each chunk on the next turn as the one buffer ingest made, to every viewer in the stream', async () => {
    const { fanout, totals } = makeFanout();
    const [a, b] = [fakeConn(), fakeConn()];
    for (const c of [a, b]) join(fanout, c);
    const key = chunk(1, true);
    fanout.motion(key);
    expect(a.sent).toHaveLength(0);
    await turns();
    fanout.motion(chunk(2, false));
    await turns();
    expect(motions(a)).toEqual(['motion key 1', 'motion delta 2']);
    expect(motions(b)).toEqual(motions(a));
    expect(a.sent[0]).toBe(key.message);
    expect(b.sent[0]).toBe(key.message);
    expect(totals.bytesOut).toBe(4 * key.message.byteLength);
  });

  it('a joiner gets no delta until the next key', async () => {
    const { fanout } = makeFanout();
    fanout.motion(chunk(1, true));
    await turns();
    const c = fakeConn();
    join(fanout, c);
    fanout.motion(chunk(2, false));
    fanout.motion(chunk(3, false));
    fanout.motion(chunk(4, true));
    fanout.motion(chunk(5, false));
    await turns();
    expect(motions(c)).toEqual(['motion key 4', 'motion delta 5']);
    expect(fanout.motionRelay.counters.dropped).toBe(2);
  });

  it('a viewer over the high-water mark drops deltas until the next key, even once it has drained', async () => {
    const { fanout } = makeFanout();
    const [fast, slow] = [fakeConn(), fakeConn()];
    for (const c of [fast, slow]) join(fanout, c);
    fanout.motion(chunk(1, true));
    await turns();
    slow.buffered = HIGH_WATER; // stalled
    fanout.motion(chunk(2, false));
    await turns();
    slow.flushed(); // room again, but delta 2 is missing: 3 would not decode
    fanout.motion(chunk(3, false));
    await turns();
    expect(motions(slow)).toEqual(['motion key 1']);
    slow.buffered = HIGH_WATER;
    fanout.motion(chunk(4, true)); // a key it cannot take either: still out
    fanout.motion(chunk(5, false));
    await turns();
    slow.flushed();
    fanout.motion(chunk(6, true));
    fanout.motion(chunk(7, false));
    await turns();
    expect(motions(slow)).toEqual(['motion key 1', 'motion key 6', 'motion delta 7']);
    expect(motions(fast)).toEqual([
      'motion key 1',
      'motion delta 2',
      'motion delta 3',
      'motion key 4',
      'motion delta 5',
      'motion key 6',
      'motion delta 7',
    ]);
  });

  it('a viewer whose engine drops the delta, or with 3 x its ack window unacknowledged, is out of the stream too', async () => {
    const { fanout } = makeFanout(2); // motion may use 3 x 2 unacknowledged syncs
    const [dropping, acking] = [fakeConn(), fakeConn()];
    const viewers = [dropping, acking].map((c) => join(fanout, c));
    fanout.ack(viewers[1], 0); // opts in to the ack window
    for (let seq = 1; seq <= 6; seq++) fanout.motion(chunk(seq, seq === 1));
    await turns();
    dropping.dropping = true;
    fanout.motion(chunk(7, false)); // the acking viewer has 6 unacknowledged: window full
    await turns();
    dropping.dropping = false;
    fanout.ack(viewers[1], 6);
    fanout.motion(chunk(8, false));
    fanout.motion(chunk(9, true));
    await turns();
    const expected = [...[1, 2, 3, 4, 5, 6].map((n) => `motion ${n === 1 ? 'key' : 'delta'} ${n}`), 'motion key 9'];
    expect(motions(dropping)).toEqual(expected);
    expect(motions(acking)).toEqual(expected);
  });

  it('asks the presenter for a key while a viewer waits for one, at most every 500 ms', async () => {
    const { fanout } = makeFanout();
    let asked = 0;
    fanout.motionRelay.onNeedKey = () => asked++;
    const a = fakeConn();
    join(fanout, a);
    fanout.motion(chunk(1, true));
    fanout.motion(chunk(2, false));
    await turns();
    expect(asked).toBe(0); // everybody is in the stream
    join(fanout, fakeConn());
    fanout.motion(chunk(3, false));
    fanout.motion(chunk(4, false));
    await turns();
    expect(asked).toBe(1);
  });

  it('refuses a delta before any key, or one that changes region without a key; a geometry change ends the stream', async () => {
    const { fanout } = makeFanout();
    const c = fakeConn();
    join(fanout, c);
    expect(() => fanout.motion(chunk(1, false))).toThrow(ProtocolError);
    fanout.motion(chunk(2, true));
    expect(() => fanout.motion(chunk(3, false, { col: 1, row: 0, columns: 2, rows: 1 }))).toThrow(
      /start it with a key/,
    );
    fanout.reset(4, GEOMETRY); // before the turn: the queued key is dropped too
    expect(() => fanout.motion(chunk(4, false))).toThrow(/before any motion key/);
    await turns();
    expect(motions(c)).toEqual([]);
    fanout.motion(chunk(5, true));
    await turns();
    expect(motions(c)).toEqual(['motion key 5']);
  });
});
