import { describe, expect, it } from 'vitest';
import { Sender } from '../../server/fanout/sender';
import { Viewer } from '../../server/fanout/viewer';
import type { TileEntry } from '../../server/frames/tile-entry';
import type { Connection } from '../../server/transport/types';
import { FrameFlag, MessageType, decodeMessage, encodeCursor, encodeStatus, encodeTile } from '../../shared/protocol';

/** A connection whose socket buffer we control: `buffered` grows with every send until the test "drains" it. */
function fakeConn() {
  const sent: Uint8Array[] = [];
  const conn = {
    context: null,
    open: true,
    buffered: 0,
    send(data: Uint8Array | string) {
      sent.push(data as Uint8Array);
      conn.buffered += (data as Uint8Array).byteLength;
      return true;
    },
    bufferedAmount: () => conn.buffered,
    cork: (fn: () => void) => fn(),
    close() {},
  };
  return { conn: conn as Connection & { buffered: number }, sent };
}

const tile = (index: number, seq: number, bytes = 100) => ({
  index,
  col: index,
  row: 0,
  seq,
  message: new Uint8Array(bytes),
});
/** An empty picture of `tiles` tiles at stream position `ingestNo` (seq = ingestNo). */
const empty = (tiles: number, ingestNo = 0) => ({
  ingestNo,
  seq: ingestNo,
  captureTs: 0,
  tiles: new Array(tiles).fill(null),
});
const frameOf = (ingestNo: number, tiles: TileEntry[], captureTs = 0) => ({
  seq: ingestNo,
  captureTs,
  receivedAt: 0,
  ingestNo,
  tiles,
});

describe('Sender', () => {
  it('stops at the high-water mark and resumes on drain, ending with one sync', () => {
    const { conn, sent } = fakeConn();
    const totals = { bytesOut: 0 };
    const sender = new Sender(250, totals);
    const v = new Viewer(1, conn);
    sender.attach(v);
    v.load({ ingestNo: 1, seq: 1, captureTs: 0, tiles: Array.from({ length: 10 }, (_, i) => tile(i, 1)) });
    sender.drain(v);
    expect(sent).toHaveLength(3); // 0, 100, 200 < 250; 300 is not
    conn.buffered = 0; // the engine flushed: drain event
    sender.drain(v);
    conn.buffered = 0;
    sender.drain(v);
    conn.buffered = 0;
    sender.drain(v);
    const tiles = sent.filter((m) => m.byteLength === 100); // the fake tiles
    const others = sent.filter((m) => m.byteLength !== 100).map((m) => decodeMessage(m));
    expect(tiles).toHaveLength(10);
    expect(others).toEqual([{ type: MessageType.Sync, seq: 1, captureTs: 0, skipped: 0 }]);
    expect(sent.at(-1)!.byteLength).not.toBe(100);
    expect(totals.bytesOut).toBe(1000);
  });

  it('a stalled viewer gets only the latest status and cursor once it drains', () => {
    const { conn, sent } = fakeConn();
    const sender = new Sender(100, { bytesOut: 0 });
    const v = new Viewer(1, conn);
    sender.attach(v);
    conn.buffered = 1000; // stalled
    for (let n = 1; n <= 50; n++) {
      v.oweStatus(encodeStatus('live', n));
      v.oweCursor(encodeCursor(n, n));
      sender.drain(v);
    }
    expect(sent).toHaveLength(0);
    conn.buffered = 0;
    sender.drain(v);
    expect(sent.map((m) => decodeMessage(m))).toEqual([
      { type: MessageType.Status, state: 'live', viewers: 50 },
      { type: MessageType.Cursor, x: 50, y: 50, visible: true },
    ]);
  });

  it('viewers that skipped nothing share one sync buffer; a skipping viewer gets its own count', () => {
    const sender = new Sender(1e6, { bytesOut: 0 });
    const a = fakeConn();
    const b = fakeConn();
    const c = fakeConn();
    const viewers = [a, b, c].map(({ conn }, i) => {
      const v = new Viewer(i, conn);
      sender.attach(v);
      v.load(empty(2, i < 2 ? 5 : 3));
      return v;
    });
    viewers[2].queue(frameOf(4, [tile(0, 4)]));
    viewers[2].queue(frameOf(5, [tile(0, 5)])); // coalesced one
    for (const v of viewers) sender.drain(v);
    expect(a.sent[0]).toBe(b.sent[0]);
    expect(decodeMessage(c.sent.at(-1)!)).toMatchObject({ type: MessageType.Sync, seq: 5, skipped: 1 });
  });

  it('a caught-up viewer gets a frame as one shared message carrying its sync; a viewer that owes tiles does not', () => {
    const sender = new Sender(1e6, { bytesOut: 0 });
    const a = fakeConn();
    const b = fakeConn();
    const [va, vb] = [a, b].map(({ conn }, i) => {
      const v = new Viewer(i, conn);
      sender.attach(v);
      v.load(empty(4));
      return v;
    });
    vb.queue(frameOf(1, [tile(3, 1)])); // owes tile 3 of frame 1
    const real = (index: number, bytes: number) => ({
      ...tile(index, 2),
      message: encodeTile({ col: index, row: 0, codec: 'png', payload: new Uint8Array(bytes) }, 2),
    });
    const frame = { seq: 2, captureTs: 5, receivedAt: 0, ingestNo: 2, tiles: [real(0, 14), real(1, 24)] };
    expect(sender.sendFrame(va, frame)).toBe(true);
    expect(sender.sendFrame(vb, frame)).toBe(false);
    expect(a.sent).toHaveLength(1);
    const batch = decodeMessage(a.sent[0]);
    expect(batch).toMatchObject({ type: MessageType.Frame, flags: FrameFlag.EndsWithSync, seq: 2, captureTs: 5 });
    expect(a.sent[0].byteLength).toBe(20 + 16 + 14 + 16 + 24);
    expect(batch.type === MessageType.Frame && batch.tiles.map((t) => t.col)).toEqual([0, 1]);
    expect([va.tilesSent, va.syncedIngest, va.syncs]).toEqual([2, 2, 1]);
    // the batch is built once per frame and shared
    const c = fakeConn();
    const vc = new Viewer(3, c.conn);
    sender.attach(vc);
    sender.sendFrame(vc, frame);
    expect(c.sent[0]).toBe(a.sent[0]);
    // a viewer that skipped before its last sync (that sync reported it) shares the frame that carries its sync
    const e = fakeConn();
    const ve = new Viewer(5, e.conn);
    sender.attach(ve);
    ve.grid.reset(4);
    ve.grid.coalesced = 7;
    expect(sender.sendFrame(ve, frame)).toBe(true);
    expect(e.sent).toEqual([a.sent[0]]);
    // one with skips not yet reported (its grid was reset since) gets the plain frame and a sync with that count
    const d = fakeConn();
    const vd = new Viewer(4, d.conn);
    sender.attach(vd);
    vd.load(empty(4));
    vd.queue(frameOf(1, [tile(0, 1)]));
    vd.queue(frameOf(1, [tile(0, 1)])); // skipped one, not reported yet...
    vd.reset(4, 1); // ...when a geometry change emptied the grid
    expect(sender.sendFrame(vd, frame)).toBe(true);
    expect(d.sent.map((m) => decodeMessage(m))).toMatchObject([
      { type: MessageType.Frame, flags: 0, seq: 2 },
      { type: MessageType.Sync, seq: 2, captureTs: 5, skipped: 1 },
    ]);
    expect(vd.grid.coalescedSinceSync).toBe(0);
  });

  it('a message the engine drops is not counted as sent: the viewer still owes it and converges on the next drain', () => {
    const { conn, sent } = fakeConn();
    let dropping = true;
    const send = conn.send.bind(conn);
    conn.send = (data) => (dropping ? false : send(data));
    const totals = { bytesOut: 0 };
    const sender = new Sender(1e6, totals);
    const v = new Viewer(1, conn);
    sender.attach(v);
    v.load(empty(4));
    const real = (index: number) => ({
      ...tile(index, 1),
      message: encodeTile({ col: index, row: 0, codec: 'png', payload: new Uint8Array(8) }, 1),
    });
    const frame = { seq: 1, captureTs: 5, receivedAt: 0, ingestNo: 1, tiles: [real(0), real(1)] };
    // the shared frame is dropped: it stays owed, nothing is counted
    expect(sender.sendFrame(v, frame)).toBe(true);
    expect([v.tilesSent, v.syncs, v.syncedIngest, totals.bytesOut]).toEqual([0, 0, 0, 0]);
    expect(v.stats().pending).toBe(2);
    sender.drain(v);
    expect([sent.length, v.stats().pending]).toEqual([0, 2]);
    dropping = false;
    sender.drain(v);
    expect(sent.map((m) => decodeMessage(m))).toMatchObject([
      { type: MessageType.Frame, flags: FrameFlag.EndsWithSync, seq: 1 },
    ]);
    expect([v.stats().pending, v.tilesSent, v.syncs, v.syncedIngest, totals.bytesOut]).toEqual([0, 2, 1, 1, 48]);
  });

  it('parts still owed when a newer frame comes go to the grid ahead of it: newer tiles win, one sync follows', () => {
    const { conn, sent } = fakeConn();
    let dropping = true;
    const send = conn.send.bind(conn);
    conn.send = (data) => (dropping ? false : send(data));
    const sender = new Sender(1e6, { bytesOut: 0 });
    const v = new Viewer(1, conn);
    sender.attach(v);
    v.load(empty(4));
    const real = (index: number, seq: number) => ({
      ...tile(index, seq),
      message: encodeTile({ col: index, row: 0, codec: 'png', payload: new Uint8Array(8) }, seq),
    });
    const f1 = { seq: 1, captureTs: 5, receivedAt: 0, ingestNo: 1, tiles: [real(0, 1), real(1, 1)] };
    const f2 = { seq: 2, captureTs: 6, receivedAt: 0, ingestNo: 2, tiles: [real(1, 2), real(2, 2)] };
    expect(sender.sendFrame(v, f1)).toBe(true); // dropped: owed as parts
    expect(sender.sendFrame(v, f2)).toBe(false); // not caught up: the caller queues it
    v.queue(f2);
    dropping = false;
    sender.drain(v);
    const script = sent
      .map((m) => decodeMessage(m))
      .map((m) =>
        m.type === MessageType.Tile ? `tile ${m.col} @${m.seq}` : m.type === MessageType.Sync ? `sync ${m.seq}` : '?',
      );
    expect(script).toEqual(['tile 0 @1', 'tile 1 @2', 'tile 2 @2', 'sync 2']);
  });

  it('a dropped sync is sent again on the next drain', () => {
    const { conn, sent } = fakeConn();
    let drops = 1;
    const send = conn.send.bind(conn);
    conn.send = (data) => (drops-- > 0 ? false : send(data));
    const sender = new Sender(1e6, { bytesOut: 0 });
    const v = new Viewer(1, conn);
    sender.attach(v);
    v.load(empty(1, 3));
    sender.drain(v);
    expect([sent.length, v.syncs, v.syncedIngest]).toEqual([0, 0, 0]);
    sender.drain(v);
    expect(sent.map((m) => decodeMessage(m))).toMatchObject([{ type: MessageType.Sync, seq: 3 }]);
    expect([v.syncs, v.syncedIngest]).toEqual([1, 3]);
  });
});
