// Fanout over fake connections: frames applied in order to every viewer, in budgeted steps, with joins, leaves
// and failures in the middle of a step.
import { describe, expect, it, vi } from 'vitest';
import { Fanout, STATUS_RIDE_MS } from '../../server/fanout/fanout';
import type { ViewerHandle } from '../../server/fanout/viewer';
import type { IngestedFrame, Keyframe, TileEntry } from '../../server/frames/tile-entry';
import { encodeCursor, encodeGeometry, encodeStatus, encodeTile } from '../../shared/protocol';
import { type FakeConn, fakeConn, turns } from '../helpers/fake-conn';

const TILES = 4;

function tile(index: number, seq: number): TileEntry {
  return {
    index,
    col: index,
    row: 0,
    seq,
    message: encodeTile({ col: index, row: 0, codec: 'png', payload: new Uint8Array(8) }, seq),
  };
}

function frame(ingestNo: number, indices: number[]): IngestedFrame {
  return {
    seq: ingestNo,
    captureTs: ingestNo * 10,
    receivedAt: 0,
    ingestNo,
    tiles: indices.map((i) => tile(i, ingestNo)),
  };
}

interface Options {
  budget?: number;
  batching?: boolean;
  errors?: unknown[];
}

function makeFanout({ budget = 1e6, batching = false, errors = [] }: Options = {}) {
  const totals = { bytesOut: 0 };
  const fanout = new Fanout(
    budget,
    1000,
    totals,
    (err, viewer) => {
      errors.push(err);
      viewer.conn.close(1011, 'internal error');
    },
    batching,
  );
  return { fanout, totals };
}

const EMPTY: Keyframe = { ingestNo: 0, seq: 0, captureTs: 0, tiles: new Array(TILES).fill(null) };
const GEOMETRY = encodeGeometry({ width: 64 * TILES, height: 64, tileSize: 64 });

/** Joins a viewer with `keyframe` (by default an empty picture of TILES tiles) and forgets what that sent. */
async function join(fanout: Fanout, conn: FakeConn, keyframe = EMPTY): Promise<ViewerHandle> {
  const v = fanout.join(conn, encodeStatus('live', 1), { geometry: GEOMETRY, keyframe, cursor: null });
  await turns(); // a joiner's keyframe goes out on the next turn
  conn.sent.length = 0;
  return v;
}

/** What each cork of `conn` sent (one write on uWS). */
function recordCorks(conn: FakeConn): string[][] {
  const writes: string[][] = [];
  conn.cork = (fn) => {
    const from = conn.sent.length;
    fn();
    writes.push(conn.script().slice(from));
  };
  return writes;
}

/**
 * Runs `fn` on a fake clock: timers, and performance.now(), by which the fan-out times how long each viewer has owed
 * a count.
 */
async function withStatusClock(fn: () => Promise<void>): Promise<void> {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  try {
    await fn();
  } finally {
    vi.useRealTimers();
  }
}

describe('Fanout', () => {
  it('applies queued frames in order on the next turn, never inside publish', async () => {
    const { fanout, totals } = makeFanout();
    const c = fakeConn();
    await join(fanout, c);
    fanout.publish(frame(1, [0, 1]));
    fanout.publish(frame(2, [2]));
    expect(c.sent).toHaveLength(0);
    await turns();
    expect(c.script()).toEqual(['tile 0,0 @1', 'tile 1,0 @1', 'sync 1', 'tile 2,0 @2', 'sync 2']);
    expect(totals.bytesOut).toBe(3 * (16 + 8));
  });

  it('works in steps of at most `budget` viewer x tile updates and counts each yield', async () => {
    const { fanout } = makeFanout({ budget: 3 });
    const conns = [fakeConn(), fakeConn(), fakeConn(), fakeConn()];
    for (const c of conns) await join(fanout, c);
    fanout.publish(frame(1, [0, 1])); // 3 updates per viewer (2 tiles + the frame)
    await turns();
    expect(conns.map((c) => c.sent.length)).toEqual([3, 0, 0, 0]);
    await turns(3);
    for (const c of conns) expect(c.script()).toEqual(['tile 0,0 @1', 'tile 1,0 @1', 'sync 1']);
    expect(fanout.yields).toBe(3); // not after the last viewer of the last frame
  });

  it('a viewer that leaves during a yielding step never makes another one miss the frame', async () => {
    const { fanout } = makeFanout({ budget: 1 });
    const conns = [fakeConn(), fakeConn(), fakeConn()];
    const viewers = await Promise.all(conns.map((c) => join(fanout, c)));
    fanout.publish(frame(1, [0]));
    await turns();
    fanout.leave(viewers[0]);
    fanout.leave(viewers[1]);
    expect(fanout.count).toBe(1);
    await turns(3);
    expect(conns.map((c) => c.script())).toEqual([['tile 0,0 @1', 'sync 1'], [], ['tile 0,0 @1', 'sync 1']]);
  });

  it('a viewer that joins with frames queued skips those its keyframe already holds', async () => {
    const { fanout } = makeFanout();
    const a = fakeConn();
    await join(fanout, a);
    fanout.publish(frame(1, [0]));
    const b = fakeConn();
    fanout.join(b, encodeStatus('live', 2), {
      geometry: GEOMETRY,
      keyframe: { ingestNo: 1, seq: 1, captureTs: 10, tiles: [tile(0, 1), null, null, null] }, // holds frame 1
      cursor: null,
    });
    b.sent.length = 0;
    fanout.publish(frame(2, [1]));
    await turns();
    expect(a.script()).toEqual(['tile 0,0 @1', 'sync 1', 'tile 1,0 @2', 'sync 2']);
    // frame 1 is not applied to b again: its keyframe (owed until this turn) and frame 2 end in one sync
    expect(b.script()).toEqual(['tile 0,0 @1', 'tile 1,0 @2', 'sync 2']);
  });

  it('clear drops the frames not yet applied', async () => {
    const { fanout } = makeFanout();
    const c = fakeConn();
    await join(fanout, c);
    fanout.publish(frame(1, [0]));
    fanout.clear();
    await turns();
    expect(c.sent).toHaveLength(0);
  });

  it('batched: caught-up viewers share one Frame message; a viewer still owing tiles gets them from its grid', async () => {
    const { fanout } = makeFanout({ batching: true });
    const [a, b, slow] = [fakeConn(), fakeConn(), fakeConn()];
    for (const c of [a, b, slow]) await join(fanout, c);
    slow.buffered = 1e9;
    fanout.publish(frame(1, [0, 3]));
    await turns();
    expect(a.script()).toEqual(['frame 1 [0,0 3,0] +sync']);
    expect(b.sent[0]).toBe(a.sent[0]);
    expect(slow.sent).toHaveLength(0);
    slow.flushed();
    fanout.publish(frame(2, [1]));
    await turns();
    expect(slow.script()).toEqual(['tile 0,0 @1', 'tile 3,0 @1', 'tile 1,0 @2', 'sync 2']);
    expect(a.script()).toEqual(['frame 1 [0,0 3,0] +sync', 'frame 2 [1,0] +sync']);
  });

  it('a viewer whose send throws is reported once; the others get the frame', async () => {
    const errors: unknown[] = [];
    const { fanout } = makeFanout({ errors });
    const [a, b] = [fakeConn(), fakeConn()];
    await join(fanout, a);
    await join(fanout, b);
    a.send = () => {
      throw new Error('engine failure');
    };
    fanout.publish(frame(1, [0]));
    await turns();
    expect(errors).toHaveLength(1);
    expect(a.closedWith?.code).toBe(1011);
    expect(b.script()).toEqual(['tile 0,0 @1', 'sync 1']);
  });
});

describe('Fanout: viewer life cycle', () => {
  it('a joiner is sent geometry, status and cursor at once, then (next turn) its keyframe and one sync', async () => {
    const { fanout } = makeFanout();
    const c = fakeConn();
    const keyframe = { ingestNo: 3, seq: 7, captureTs: 70, tiles: [null, tile(1, 2), null, tile(3, 3)] };
    const v = fanout.join(c, encodeStatus('live', 1), { geometry: GEOMETRY, keyframe, cursor: encodeCursor(4, 5) });
    expect(c.script()).toEqual(['geometry 256x64/64', 'status live 1', 'cursor 4,5']);
    await turns();
    expect(c.script()).toEqual([
      'geometry 256x64/64',
      'status live 1',
      'cursor 4,5',
      'tile 1,0 @2',
      'tile 3,0 @3',
      'sync 7',
    ]);
    expect(c.decoded().at(-1)).toMatchObject({ captureTs: 70 });
    expect(fanout.stats()).toEqual([
      {
        id: v.id,
        pending: 0,
        gridTiles: 4,
        buffered: c.buffered,
        coalesced: 0,
        tilesSent: 2,
        bytesOut: 48,
        syncs: 1,
        acked: null,
      },
    ]);
  });

  it('a joiner without a picture gets its status only, and viewers get distinct ids', () => {
    const { fanout } = makeFanout();
    const [a, b] = [fakeConn(), fakeConn()];
    const va = fanout.join(a, encodeStatus('waiting', 1), null);
    const vb = fanout.join(b, encodeStatus('waiting', 2), null);
    expect(a.script()).toEqual(['status waiting 1']);
    expect(va.id).not.toBe(vb.id);
  });

  it('reset sends the new geometry at once and forgets what was owed and queued', async () => {
    const { fanout } = makeFanout();
    const c = fakeConn();
    const v = await join(fanout, c);
    c.buffered = 1e9;
    fanout.publish(frame(1, [0, 1]));
    await turns();
    fanout.publish(frame(2, [2]));
    const small = encodeGeometry({ width: 64, height: 64, tileSize: 64 });
    fanout.reset(1, small);
    expect(fanout.stats()[0]).toMatchObject({ pending: 0, gridTiles: 1 });
    await turns();
    c.flushed();
    fanout.drain(v);
    expect(c.script()).toEqual(['geometry 64x64/64']);
  });

  it('cursor and status are latest-wins for a stalled viewer', async () => {
    const { fanout } = makeFanout();
    const c = fakeConn();
    const v = await join(fanout, c);
    c.buffered = 1e9;
    for (let n = 1; n <= 20; n++) {
      fanout.status(encodeStatus('live', n));
      fanout.cursor(encodeCursor(n, n));
    }
    expect(c.sent).toHaveLength(0);
    c.flushed();
    fanout.drain(v);
    expect(c.script()).toEqual(['status live 20', 'cursor 20,20']);
  });

  it('a viewer-count status rides with the next frame in the same cork, else goes alone after STATUS_RIDE_MS', () =>
    withStatusClock(async () => {
      const { fanout } = makeFanout({ batching: true });
      const live = fakeConn();
      const writes = recordCorks(live);
      await join(fanout, live);
      const idle2 = fakeConn();
      await join(fanout, idle2);
      writes.length = 0;
      fanout.status(encodeStatus('live', 2), true);
      expect([live.sent, idle2.sent]).toEqual([[], []]); // nothing alone
      fanout.publish(frame(1, [0, 1]));
      await turns();
      // one cork (one write on uWS) holds the status and the frame
      expect(writes).toEqual([['status live 2', 'frame 1 [0,0 1,0] +sync']]);
      expect(idle2.script()).toEqual(['status live 2', 'frame 1 [0,0 1,0] +sync']);
      const quiet = fakeConn();
      await join(fanout, quiet);
      fanout.status(encodeStatus('live', 3), true);
      vi.advanceTimersByTime(STATUS_RIDE_MS - 1);
      expect(quiet.sent).toEqual([]);
      vi.advanceTimersByTime(1);
      // no frame came: each viewer gets the count alone, once
      expect([live.script().slice(-1), quiet.script()]).toEqual([['status live 3'], ['status live 3']]);
      // a state change is never held back
      fanout.status(encodeStatus('waiting', 3));
      expect(quiet.script()).toEqual(['status live 3', 'status waiting 3']);
    }));

  it('a count waits STATUS_RIDE_MS from when the viewer was first owed it, not from the room-wide timer', () =>
    withStatusClock(async () => {
      const { fanout } = makeFanout({ batching: true });
      const c = fakeConn();
      const writes = recordCorks(c);
      await join(fanout, c);
      writes.length = 0;
      fanout.status(encodeStatus('live', 2), true); // arms the timer for t = STATUS_RIDE_MS
      vi.advanceTimersByTime(100);
      fanout.publish(frame(1, [0]));
      await turns();
      vi.advanceTimersByTime(STATUS_RIDE_MS - 110);
      fanout.status(encodeStatus('live', 3), true); // just before the timer fires: owed for 10 ms only
      vi.advanceTimersByTime(50);
      expect(c.script()).toEqual(['status live 2', 'frame 1 [0,0] +sync']); // not sent alone
      fanout.publish(frame(2, [1]));
      await turns();
      vi.advanceTimersByTime(2 * STATUS_RIDE_MS);
      expect(writes).toEqual([
        ['status live 2', 'frame 1 [0,0] +sync'],
        ['status live 3', 'frame 2 [1,0] +sync'],
      ]);
      // with no frame, counts that keep changing still go out STATUS_RIDE_MS after the first one
      c.sent.length = 0;
      fanout.status(encodeStatus('live', 4), true);
      vi.advanceTimersByTime(STATUS_RIDE_MS - 100);
      fanout.status(encodeStatus('live', 5), true);
      vi.advanceTimersByTime(99);
      expect(c.sent).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(c.script()).toEqual(['status live 5']);
      vi.advanceTimersByTime(2 * STATUS_RIDE_MS);
      expect(c.script()).toEqual(['status live 5']);
    }));

  it('an ack from a viewer that owes nothing costs no cork; one held by its ack window gets the frame', async () => {
    const fanout = new Fanout(1e6, 1000, { bytesOut: 0 }, () => {}, true, 1);
    const c = fakeConn();
    const corks = recordCorks(c);
    const v = await join(fanout, c, { ingestNo: 0, seq: 0, captureTs: 0, tiles: [tile(0, 0), null, null, null] });
    fanout.ack(v, 1);
    corks.length = 0;
    fanout.publish(frame(1, [1]));
    await turns();
    fanout.ack(v, 1); // nothing new painted, nothing owed
    await turns();
    expect(corks).toEqual([]); // the frame went uncorked, the ack drained nothing
    fanout.publish(frame(2, [2])); // the window (1 sync) is full until the viewer acks frame 1
    await turns();
    expect(c.script().slice(-1)).toEqual(['frame 1 [1,0] +sync']);
    fanout.ack(v, 2);
    await turns();
    expect(corks).toEqual([['tile 2,0 @2', 'sync 2']]);
  });

  it('a count owed to a viewer that keeps up rides with its next frame: its acks do not send it alone', async () => {
    const fanout = new Fanout(1e6, 1000, { bytesOut: 0 }, () => {}, true, 3);
    const c = fakeConn();
    const corks = recordCorks(c);
    const v = await join(fanout, c, { ingestNo: 0, seq: 0, captureTs: 0, tiles: [tile(0, 0), null, null, null] });
    fanout.publish(frame(1, [1]));
    await turns();
    corks.length = 0;
    fanout.status(encodeStatus('live', 2), true);
    fanout.ack(v, 1);
    fanout.ack(v, 2);
    await turns();
    expect(c.script().slice(-1)).toEqual(['frame 1 [1,0] +sync']);
    fanout.publish(frame(2, [2]));
    await turns();
    expect(corks).toEqual([['status live 2', 'frame 2 [2,0] +sync']]);
  });

  it('a count waits for a frame it shares a cork with: a larger one goes alone, settled (uWS)', () =>
    withStatusClock(async () => {
      const fanout = new Fanout(1e6, 1000, { bytesOut: 0 }, () => {}, true, 3);
      const c = fakeConn();
      const settledAt: number[] = [];
      c.sendSettled = (data) => {
        settledAt.push(c.sent.length);
        return c.send(data);
      };
      const corks = recordCorks(c);
      const v = await join(fanout, c, { ingestNo: 0, seq: 0, captureTs: 0, tiles: [tile(0, 0), null, null, null] });
      fanout.publish(frame(1, [1]));
      await turns();
      fanout.ack(v, 2); // the keyframe's sync and frame 1's: nothing unread
      const corkBytes = encodeStatus('live', 2).byteLength + c.sent[0].byteLength + 40; // frame 1 and a count fit
      Object.assign(c, { corkBytes });
      c.sent.length = 0;
      corks.length = 0;
      settledAt.length = 0;
      fanout.status(encodeStatus('live', 2), true);
      fanout.publish(frame(2, [0, 1, 2, 3])); // too large to share a cork with the count
      await turns();
      expect([c.script(), settledAt, corks]).toEqual([['frame 2 [0,0 1,0 2,0 3,0] +sync'], [0], []]);
      fanout.ack(v, 3);
      fanout.publish(frame(3, [2])); // small: the count rides with it
      await turns();
      expect(corks).toEqual([['status live 2', 'frame 3 [2,0] +sync']]);
      // with only large frames, the count goes alone STATUS_RIDE_MS after it was first owed
      c.sent.length = 0;
      fanout.status(encodeStatus('live', 3), true);
      fanout.ack(v, 4);
      fanout.publish(frame(4, [0, 1, 2, 3]));
      await turns();
      expect(c.script()).toEqual(['frame 4 [0,0 1,0 2,0 3,0] +sync']);
      vi.advanceTimersByTime(STATUS_RIDE_MS);
      expect(c.script()).toEqual(['frame 4 [0,0 1,0 2,0 3,0] +sync', 'status live 3']);
      // a change of state owed to a socket that had no room goes before the next frame, however large
      fanout.ack(v, 5);
      c.buffered = 1e9;
      fanout.status(encodeStatus('reconnecting', 3));
      c.flushed();
      c.sent.length = 0;
      fanout.publish(frame(5, [0, 1, 2, 3]));
      await turns();
      expect(c.script()).toEqual(['status reconnecting 3', 'frame 5 [0,0 1,0 2,0 3,0] +sync']);
    }));

  it('a viewer that left counts its coalesced tiles in the total and is sent nothing more', async () => {
    const { fanout } = makeFanout();
    const c = fakeConn();
    const v = await join(fanout, c);
    c.buffered = 1e9;
    fanout.publish(frame(1, [0]));
    fanout.publish(frame(2, [0]));
    await turns();
    expect(fanout.coalesced).toBe(1);
    expect(fanout.leave(v)).toBe(true);
    expect(fanout.leave(v)).toBe(false);
    c.flushed();
    fanout.drain(v);
    fanout.publish(frame(3, [1]));
    await turns();
    expect(c.sent).toHaveLength(0);
    expect([fanout.count, fanout.coalesced]).toEqual([0, 1]);
  });
});
