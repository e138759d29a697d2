// Room over fake connections: what each viewer is sent, in which order, as the presenter's stream goes by.
import { describe, expect, it, vi } from 'vitest';
import type { TileEntry } from '../../server/frames/tile-entry';
import { type Room, type RoomOptions, statusThrottleMs } from '../../server/room/room';
import { CloseCode, type Geometry, encodeCursor, encodeGeometry, encodeTile } from '../../shared/protocol';
import { type FakeConn, fakeConn, turns } from '../helpers/fake-conn';
import { makeRoom } from '../helpers/room';

const G: Geometry = { width: 128, height: 128, tileSize: 64 }; // 2 x 2 tiles
const SMALL: Geometry = { width: 64, height: 64, tileSize: 64 }; // 1 tile

function tile(col: number, row: number, seq: number, columns = 2): TileEntry {
  return {
    index: row * columns + col,
    col,
    row,
    seq,
    message: encodeTile({ col, row, codec: 'png', payload: new Uint8Array(8).fill(seq) }, seq),
  };
}

/** A live room with geometry G and frame 1 (all four tiles) already fanned out. */
async function liveRoom(options: Partial<RoomOptions> = {}) {
  const room = makeRoom(options);
  const presenter = fakeConn();
  room.attachPresenter(presenter);
  room.setGeometry(G, encodeGeometry(G));
  room.applyFrame(1, 10, [tile(0, 0, 1), tile(1, 0, 1), tile(0, 1, 1), tile(1, 1, 1)], 100);
  await turns();
  return { room, presenter };
}

/** Joins a viewer, waits the turn its keyframe goes out in, and forgets what it was sent so far. */
async function joined(room: Room): Promise<{ conn: FakeConn; viewer: ReturnType<Room['addViewer']> }> {
  const conn = fakeConn();
  const viewer = room.addViewer(conn);
  await turns();
  conn.sent.length = 0;
  conn.flushed();
  return { conn, viewer };
}

describe('Room: late joiners', () => {
  it('a late joiner gets geometry, status, cursor, the ScreenShot as tiles, then one sync; later frames follow', async () => {
    const { room } = await liveRoom();
    room.cursor(encodeCursor(5, 6), 5, 6, true);
    room.applyFrame(2, 20, [tile(1, 1, 2)], 10);
    await turns();
    const v = fakeConn();
    room.addViewer(v);
    await turns();
    expect(v.script()).toEqual([
      'geometry 128x128/64',
      'status live 1',
      'cursor 5,6',
      'tile 0,0 @1',
      'tile 1,0 @1',
      'tile 0,1 @1',
      'tile 1,1 @2',
      'sync 2',
    ]);
    expect(v.decoded().at(-1)).toMatchObject({ seq: 2, captureTs: 20, skipped: 0 });
    v.sent.length = 0;
    room.applyFrame(3, 30, [tile(0, 0, 3)], 10);
    await turns();
    expect(v.script()).toEqual(['tile 0,0 @3', 'sync 3']);
  });

  it('a viewer that joins after a frame is queued but before it is fanned out gets it once, in its keyframe', async () => {
    const { room } = await liveRoom();
    room.applyFrame(2, 20, [tile(0, 0, 2)], 10);
    const v = fakeConn();
    room.addViewer(v);
    await turns();
    expect(v.script().filter((l) => l.startsWith('tile 0,0'))).toEqual(['tile 0,0 @2']);
    expect(v.script().at(-1)).toBe('sync 2');
  });

  it('a viewer that joins before the geometry gets status, then geometry, then frames; before the first frame, no sync', async () => {
    const room = makeRoom();
    const v = fakeConn();
    room.addViewer(v);
    room.attachPresenter(fakeConn());
    room.setGeometry(G, encodeGeometry(G));
    await turns();
    expect(v.script()).toEqual(['status waiting 1', 'status live 1', 'geometry 128x128/64']);
    room.applyFrame(1, 10, [tile(0, 0, 1)], 10);
    await turns();
    expect(v.script().slice(3)).toEqual(['tile 0,0 @1', 'sync 1']);
  });
});

describe('Room: geometry change', () => {
  it('resets every grid: owed tiles and queued frames of the old geometry are never sent', async () => {
    const { room } = await liveRoom();
    const { conn, viewer } = await joined(room);
    conn.buffered = 1e9; // stalled
    room.applyFrame(2, 20, [tile(0, 0, 2), tile(1, 0, 2)], 10);
    await turns();
    expect(room.viewerStats()[0]).toMatchObject({ id: viewer.id, pending: 2, gridTiles: 4 });
    room.applyFrame(3, 30, [tile(0, 1, 3)], 10); // queued, not yet fanned out
    room.setGeometry(SMALL, encodeGeometry(SMALL));
    expect(room.viewerStats()[0]).toMatchObject({ pending: 0, gridTiles: 1 });
    await turns();
    conn.flushed();
    room.drainViewer(viewer);
    expect(conn.script()).toEqual(['geometry 64x64/64']);
    room.applyFrame(4, 40, [tile(0, 0, 4, 1)], 10);
    await turns();
    expect(conn.script()).toEqual(['geometry 64x64/64', 'tile 0,0 @4', 'sync 4']);
  });
});

describe('Room: cursor and status', () => {
  it('a stalled viewer gets only the latest status and cursor, before the tiles it owes', async () => {
    const { room, presenter } = await liveRoom();
    const { conn, viewer } = await joined(room);
    conn.buffered = 1e9;
    room.cursor(encodeCursor(1, 1), 1, 1, true);
    room.presenterLeft(presenter, false); // reconnecting
    room.cursor(encodeCursor(2, 2), 2, 2, true);
    room.attachPresenter(fakeConn()); // live again
    room.applyFrame(2, 20, [tile(1, 0, 2)], 10);
    await turns();
    room.cursor(encodeCursor(3, 3), 3, 3, true);
    expect(conn.sent).toHaveLength(0);
    conn.flushed();
    room.drainViewer(viewer);
    expect(conn.script()).toEqual(['status live 1', 'cursor 3,3', 'tile 1,0 @2', 'sync 2']);
  });

  it('viewer-count changes wait 1 ms per viewer, 250 ms to 2 s: a broadcast is a message to every viewer', async () => {
    expect([0, 100, 1000, 1500, 5000].map(statusThrottleMs)).toEqual([250, 250, 1000, 1500, 2000]);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const { room, presenter } = await liveRoom({ maxViewers: 2000 });
      const counts = () => presenter.script().filter((line) => line.startsWith('status'));
      presenter.sent.length = 0;
      for (let i = 0; i < 600; i++) room.addViewer(fakeConn());
      vi.advanceTimersByTime(249);
      expect(counts()).toEqual([]);
      vi.advanceTimersByTime(1); // armed by the first join, in a room of one
      expect(counts()).toEqual(['status live 600']);
      room.addViewer(fakeConn());
      vi.advanceTimersByTime(600);
      expect(counts()).toEqual(['status live 600']);
      vi.advanceTimersByTime(1);
      expect(counts()).toEqual(['status live 600', 'status live 601']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a caught-up viewer gets a cursor at once', async () => {
    const { room } = await liveRoom();
    const { conn } = await joined(room);
    room.cursor(encodeCursor(7, 8), 7, 8, true);
    expect(conn.script()).toEqual(['cursor 7,8']);
  });
});

describe.each([false, true])('Room: sends (batched: %s)', (batchFanout) => {
  it('a caught-up viewer gets each frame as one message carrying its sync when batched, tiles and a sync otherwise', async () => {
    const { room } = await liveRoom({ batchFanout });
    const { conn } = await joined(room);
    const before = room.viewerStats()[0];
    room.applyFrame(2, 20, [tile(0, 0, 2), tile(1, 1, 2)], 10);
    await turns();
    expect(conn.script()).toEqual(batchFanout ? ['frame 2 [0,0 1,1] +sync'] : ['tile 0,0 @2', 'tile 1,1 @2', 'sync 2']);
    expect(room.viewerStats()[0]).toMatchObject({
      tilesSent: before.tilesSent + 2,
      syncs: before.syncs + 1,
      pending: 0,
    });
  });

  it('messages the engine drops are not counted, stay owed and converge on the next drain', async () => {
    const { room } = await liveRoom({ batchFanout });
    const { conn, viewer } = await joined(room);
    const before = room.viewerStats()[0];
    const bytesBefore = room.info().bytesOut;
    conn.dropping = true;
    room.applyFrame(2, 20, [tile(0, 0, 2), tile(1, 1, 2)], 10);
    await turns();
    expect(room.viewerStats()[0]).toMatchObject({
      tilesSent: before.tilesSent,
      syncs: before.syncs,
      bytesOut: before.bytesOut,
      pending: 2,
    });
    expect(room.info().bytesOut).toBe(bytesBefore);
    conn.dropping = false;
    room.drainViewer(viewer);
    // a dropped shared frame stays owed as it was; dropped tiles stay in the dirty queue
    if (batchFanout) expect(conn.script()).toEqual(['frame 2 [0,0 1,1] +sync']);
    else expect(conn.script()).toEqual(['tile 0,0 @2', 'tile 1,1 @2', 'sync 2']);
    expect(room.viewerStats()[0]).toMatchObject({
      tilesSent: before.tilesSent + 2,
      syncs: before.syncs + 1,
      pending: 0,
    });
    expect(room.info().bytesOut).toBeGreaterThan(bytesBefore);
  });

  it('a stalled viewer is sent nothing until it drains, then the newest tiles and one sync', async () => {
    const { room } = await liveRoom({ batchFanout });
    const { conn, viewer } = await joined(room);
    conn.buffered = 1e9;
    room.applyFrame(2, 20, [tile(0, 0, 2)], 10);
    await turns();
    room.applyFrame(3, 30, [tile(0, 0, 3), tile(1, 0, 3)], 10);
    await turns();
    expect(conn.sent).toHaveLength(0);
    conn.flushed();
    room.drainViewer(viewer);
    expect(conn.script()).toEqual(['tile 0,0 @3', 'tile 1,0 @3', 'sync 3']);
  });
});

describe('Room: fan-out budget, acks, leaving', () => {
  it('yields past its budget and still gives every viewer every frame, in order', async () => {
    const { room } = await liveRoom({ fanoutBudget: 3 });
    const viewers: FakeConn[] = [];
    for (let i = 0; i < 5; i++) viewers.push((await joined(room)).conn);
    room.applyFrame(2, 20, [tile(0, 0, 2), tile(1, 0, 2)], 10);
    room.applyFrame(3, 30, [tile(0, 1, 3)], 10);
    await turns();
    expect(viewers.filter((c) => c.sent.length > 0).length).toBeLessThan(5);
    await turns(20);
    for (const c of viewers)
      expect(c.script()).toEqual(['tile 0,0 @2', 'tile 1,0 @2', 'sync 2', 'tile 0,1 @3', 'sync 3']);
    expect(room.info().fanoutYields).toBeGreaterThan(0);
  });

  it('an acking viewer is held at the ack window and resumes when it acks', async () => {
    const { room } = await liveRoom({ ackWindow: 1 });
    const { conn, viewer } = await joined(room);
    room.ackViewer(viewer, 1); // painted its keyframe's sync: now an acking viewer
    room.applyFrame(2, 20, [tile(0, 0, 2)], 10);
    await turns();
    room.applyFrame(3, 30, [tile(1, 0, 3)], 10);
    await turns();
    expect(conn.script()).toEqual(['tile 0,0 @2', 'sync 2']);
    room.ackViewer(viewer, 2);
    // sent on the next turn: not inside the ack's message callback, where uWS has the socket corked
    expect(conn.script()).toEqual(['tile 0,0 @2', 'sync 2']);
    await turns();
    expect(conn.script()).toEqual(['tile 0,0 @2', 'sync 2', 'tile 1,0 @3', 'sync 3']);
  });

  it('a viewer that left is sent nothing more; the others go on', async () => {
    const { room } = await liveRoom();
    const a = await joined(room);
    const b = await joined(room);
    room.removeViewer(a.viewer);
    room.applyFrame(2, 20, [tile(0, 0, 2)], 10);
    await turns();
    expect(a.conn.sent).toHaveLength(0);
    expect(b.conn.script()).toEqual(['tile 0,0 @2', 'sync 2']);
    expect(room.viewerCount).toBe(1);
    expect(room.viewerStats().map((s) => s.id)).toEqual([b.viewer.id]);
  });

  it('a viewer whose send throws is closed alone', async () => {
    const { room } = await liveRoom();
    const a = await joined(room);
    const b = await joined(room);
    const send = a.conn.send;
    a.conn.send = () => {
      throw new Error('engine failure');
    };
    room.applyFrame(2, 20, [tile(0, 0, 2)], 10);
    await turns();
    a.conn.send = send;
    expect(a.conn.closedWith).toEqual({ code: CloseCode.InternalError, reason: 'internal error' });
    expect(b.conn.script()).toEqual(['tile 0,0 @2', 'sync 2']);
  });

  it('ending the room tells every viewer and closes it', async () => {
    const { room } = await liveRoom();
    const { conn } = await joined(room);
    room.end('test');
    // the state change is broadcast as usual, then the final word with no viewers left
    expect(conn.script()).toEqual(['status ended 1', 'status ended 0']);
    expect(conn.closedWith).toEqual({ code: CloseCode.Normal, reason: 'room ended' });
  });
});
