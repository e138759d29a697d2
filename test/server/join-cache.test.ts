// Joiners share the room's picture as Frame parts that outlive frames (server/fanout/join-cache.ts): a joiner after
// newer frames gets the same parts plus the tiles that changed since, and every sync it is sent, whatever it
// stalled or skipped, is exactly the room's picture at that frame.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ViewerHandle } from '../../server/fanout/viewer';
import { type IngestLimits, ingestPresenterMessage } from '../../server/ingest/presenter-ingest';
import type { Room } from '../../server/room/room';
import {
  type Geometry,
  MessageType,
  PictureModel,
  decodeMessage,
  encodeFrame,
  encodeGeometry,
} from '../../shared/protocol';
import { type FakeConn, fakeConn, turns } from '../helpers/fake-conn';
import { makeRoom } from '../helpers/room';

const G: Geometry = { width: 256, height: 256, tileSize: 64 }; // 4 x 4 tiles
const TILES = 16;
const LIMITS: IngestLimits = {
  maxTileBytes: 1 << 20,
  maxTilesPerFrame: 1000,
  maxTilesPerRoom: 100_000,
  maxGeometryChangesPerSecond: 100,
};

/** The room as a test drives it: frames whose tiles are filled with their seq, and the picture after each. */
class Stage {
  readonly room = makeRoom({ highWater: 2000, batchFanout: true });
  /** per seq, the seq of each tile index's newest tile (0: none yet) */
  readonly pictures = new Map<number, number[]>();
  private current = new Array<number>(TILES).fill(0);
  seq = 0;

  constructor() {
    this.room.attachPresenter(fakeConn());
    ingestPresenterMessage(this.room, encodeGeometry(G), LIMITS);
  }

  frame(tiles: { index: number; size: number }[]): void {
    const seq = ++this.seq;
    const frame = encodeFrame(
      seq,
      seq * 10,
      tiles.map((t) => ({
        col: t.index % 4,
        row: t.index >> 2,
        codec: 'png',
        payload: new Uint8Array(t.size).fill(seq),
      })),
    );
    ingestPresenterMessage(this.room, frame, LIMITS);
    for (const t of tiles) this.current[t.index] = seq;
    this.pictures.set(seq, this.current.slice());
  }

  join(corkBytes?: number): Watcher {
    const conn = fakeConn();
    if (corkBytes) (conn as { corkBytes?: number }).corkBytes = corkBytes;
    return new Watcher(this, conn, this.room.addViewer(conn));
  }
}

/** A viewer's side: applies what it was sent and checks each sync against the room's picture at that frame. */
class Watcher {
  readonly model: PictureModel;
  private read = 0;

  constructor(
    private readonly stage: Stage,
    readonly conn: FakeConn,
    readonly handle: ViewerHandle,
  ) {
    this.model = new PictureModel(undefined, (seq) => this.check(seq));
  }

  /** Reads what arrived since the last call. */
  receive(): void {
    for (; this.read < this.conn.sent.length; this.read++) this.model.apply(decodeMessage(this.conn.sent[this.read]));
  }

  /** the seq each tile index shows (0: none) */
  shown(): number[] {
    const out: number[] = [];
    for (let i = 0; i < TILES; i++) out.push(this.model.picture.get(`${i % 4},${i >> 2}`)?.[0] ?? 0);
    return out;
  }

  private check(seq: number): void {
    expect(this.shown(), `picture at sync ${seq}`).toEqual(this.stage.pictures.get(seq));
  }

  resume(): void {
    this.conn.flushed();
    this.stage.room.drainViewer(this.handle);
  }
}

const everyTile = Array.from({ length: TILES }, (_, index) => ({ index, size: 20 }));

describe('join cache', () => {
  it('a joiner after a newer frame gets the parts built for the one before it, then the changed tiles and a sync', async () => {
    const stage = new Stage();
    stage.frame(everyTile);
    const first = stage.join(200); // parts of 5 tiles
    await turns(2);
    const partsOf = (w: Watcher) => w.conn.sent.filter((m) => decodeMessage(m).type === MessageType.Frame);
    expect(partsOf(first)).toHaveLength(4);
    stage.frame([{ index: 5, size: 30 }]);
    await turns(2);
    const second = stage.join(200);
    const third = stage.join(200);
    await turns(2);
    for (const w of [first, second, third]) w.receive();
    // no second copy of the picture: the leading parts are the same messages; the last differs only in not
    // carrying a sync (the picture moved on), and is shared by every later joiner
    for (let p = 0; p < 3; p++) expect(partsOf(second)[p]).toBe(partsOf(first)[p]);
    expect(partsOf(second)[3]).not.toBe(partsOf(first)[3]);
    partsOf(third).forEach((m, i) => expect(m).toBe(partsOf(second)[i]));
    expect(second.conn.script().slice(-3)).toEqual(['frame 1 [3,3]', 'tile 1,1 @2', 'sync 2']);
    expect(second.model.syncs).toEqual([2]);
    expect(second.shown()).toEqual(stage.pictures.get(2));
  });

  it('is built again once more than an eighth of the tiles changed', async () => {
    const stage = new Stage();
    stage.frame(everyTile);
    const first = stage.join();
    await turns(2);
    stage.frame([0, 1, 2].map((index) => ({ index, size: 30 })));
    await turns(2);
    const second = stage.join();
    await turns(2);
    second.receive();
    expect(
      second.conn.sent.some((m) => decodeMessage(m).type === MessageType.Frame && first.conn.sent.includes(m)),
    ).toBe(false);
    expect(second.conn.script().slice(2)).toEqual([expect.stringMatching(/^frame 2 \[.*\] \+sync$/)]);
    expect(second.shown()).toEqual(stage.pictures.get(2));
  });

  it('a stalled joiner whose parts are spilled by a newer frame never shows an older tile again', async () => {
    const stage = new Stage();
    stage.frame(everyTile);
    stage.join(60);
    await turns(2);
    stage.frame([{ index: 3, size: 30 }]);
    await turns(2);
    const late = stage.join(60); // parts of two tiles each, so most are still owed when it stalls
    late.conn.buffered = 1e9;
    await turns(2);
    stage.frame([{ index: 9, size: 30 }]);
    await turns(2);
    late.resume();
    await turns(2);
    late.receive();
    expect(late.shown()).toEqual(stage.pictures.get(3));
    expect(late.model.syncs.at(-1)).toBe(3);
  });

  it('every sync any viewer is sent is the room picture at that frame, whatever joins, stalls and frames come', async () => {
    const op = fc.oneof(
      {
        arbitrary: fc.record({
          t: fc.constant('frame' as const),
          // mostly small frames, so joiners often get parts that are a frame or two old
          tiles: fc.uniqueArray(fc.record({ index: fc.nat(TILES - 1), size: fc.integer({ min: 5, max: 60 }) }), {
            minLength: 1,
            maxLength: 6,
            size: 'xsmall',
            selector: (t) => t.index,
          }),
        }),
        weight: 5,
      },
      // a joiner that stalls at once is still owed its parts when the next frames come
      { arbitrary: fc.record({ t: fc.constant('join' as const), stalled: fc.boolean() }), weight: 2 },
      { arbitrary: fc.record({ t: fc.constant('stall' as const), v: fc.nat() }), weight: 1 },
      { arbitrary: fc.record({ t: fc.constant('resume' as const), v: fc.nat() }), weight: 2 },
      { arbitrary: fc.record({ t: fc.constant('turn' as const) }), weight: 2 },
    );
    await fc.assert(
      // one engine per run: parts are cut at the connection's cork size, and parts of another size are built anew
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 30, max: 200 }),
        async (ops, cork) => {
          const stage = new Stage();
          stage.frame(everyTile);
          const viewers: Watcher[] = [];
          for (const o of ops) {
            if (o.t === 'frame') stage.frame(o.tiles);
            else if (o.t === 'join') {
              const v = stage.join(cork >= 40 ? cork : undefined);
              if (o.stalled) v.conn.buffered = 1e9;
              viewers.push(v);
            } else if (o.t === 'turn') await turns(2);
            else if (viewers.length > 0) {
              const v = viewers[o.v % viewers.length];
              if (o.t === 'stall') v.conn.buffered = 1e9;
              else v.resume();
            }
            for (const v of viewers) v.receive();
          }
          // everyone reads everything: each ends on the newest frame
          for (let round = 0; round < 50; round++) {
            for (const v of viewers) v.resume();
            await turns(2);
          }
          for (const v of viewers) {
            v.receive();
            expect(v.model.syncs.at(-1)).toBe(stage.seq);
            expect(v.shown()).toEqual(stage.pictures.get(stage.seq));
          }
          stage.room.end('done');
        },
      ),
      { numRuns: 200 },
    );
  });
});
