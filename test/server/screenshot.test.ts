import { describe, expect, it } from 'vitest';
import { RoomLimitError } from '../../server/errors';
import { ScreenShot } from '../../server/room/screenshot';
import type { IngestedFrame, TileEntry } from '../../server/frames/tile-entry';

const geometry = { width: 128, height: 64, tileSize: 64 }; // 2 tiles
const tile = (index: number, seq: number, size = 10): TileEntry => ({
  index,
  col: index,
  row: 0,
  seq,
  message: new Uint8Array(size),
});
let ingestNo = 0;
const frame = (seq: number, tiles: TileEntry[]): IngestedFrame => ({
  seq,
  captureTs: seq * 10,
  receivedAt: 0,
  tiles,
  ingestNo: ++ingestNo,
});

describe('ScreenShot (double buffer, deferred release)', () => {
  it('keeps the newest tile of every index', () => {
    const s = new ScreenShot(1e6);
    s.reset(geometry);
    s.apply(frame(1, [tile(0, 1), tile(1, 1)]));
    const view = s.apply(frame(2, [tile(1, 2, 30)]));
    expect(view.tiles.map((t) => t?.seq)).toEqual([1, 2]);
    expect(view.bytes).toBe(40);
    expect(view.filled).toBe(2);
    expect(view.seq).toBe(2);
  });

  it('a generation a reader took is untouched while it is replaced and released, and only then reused', () => {
    const s = new ScreenShot(1e6);
    s.reset(geometry);
    s.apply(frame(1, [tile(0, 1)]));
    const taken = s.current();
    const before = taken.tiles.map((t) => t?.seq);
    const second = s.apply(frame(2, [tile(0, 2), tile(1, 2)])); // replaces `taken`
    expect(second).not.toBe(taken);
    expect(taken.tiles.map((t) => t?.seq)).toEqual(before);
    const third = s.apply(frame(3, [tile(1, 3)])); // replaces `second`: `taken` is released, not yet reused
    expect([second, third]).not.toContain(taken);
    expect(taken.tiles.map((t) => t?.seq)).toEqual(before);
    const fourth = s.apply(frame(4, [tile(0, 4)]));
    // the released generation is recycled as the back buffer: no allocation per frame
    expect(fourth).toBe(taken);
    expect(fourth.tiles.map((t) => t?.seq)).toEqual([4, 3]);
  });

  it('refuses a frame over the byte cap and keeps the published picture', () => {
    const s = new ScreenShot(100);
    s.reset(geometry);
    s.apply(frame(1, [tile(0, 1, 50)]));
    expect(() => s.apply(frame(2, [tile(1, 2, 60)]))).toThrow(RoomLimitError);
    expect(s.current().seq).toBe(1);
    expect(s.current().bytes).toBe(50);
    // replacing a tile counts its old size out
    expect(s.apply(frame(3, [tile(0, 3, 90)])).bytes).toBe(90);
  });

  it('reset for a new geometry empties the picture', () => {
    const s = new ScreenShot(1e6);
    s.reset(geometry);
    s.apply(frame(1, [tile(0, 1)]));
    s.reset({ width: 64, height: 64, tileSize: 64 });
    expect(s.current().tiles).toEqual([null]);
    expect(s.current().bytes).toBe(0);
  });

  it('stays equal to a model picture through random frames, refused ones included, and never changes a picture a reader took', () => {
    const wide = { width: 64 * 12, height: 64, tileSize: 64 }; // 12 tiles
    const s = new ScreenShot(12 * 30); // about as many frames refused as taken
    s.reset(wide);
    const model: (TileEntry | null)[] = new Array(12).fill(null);
    let seed = 7;
    const random = (n: number) => {
      // xorshift32: the same frames on every run
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    let refused = 0;
    // a reader's view, and what it showed when taken: it must not change until two more pictures are published
    let taken: { view: ReturnType<ScreenShot['current']>; tiles: (TileEntry | null)[]; published: number } | null =
      null;
    let published = 0;
    for (let seq = 1; seq <= 500; seq++) {
      const count = 1 + random(5);
      const tiles = Array.from({ length: count }, () => tile(random(12), seq, 1 + random(60)));
      const before = s.current();
      const expected = model.slice();
      for (const t of tiles) expected[t.index] = t;
      const bytes = expected.reduce((n, t) => n + (t?.message.byteLength ?? 0), 0);
      if (bytes > 12 * 30) {
        refused++;
        expect(() => s.apply(frame(seq, tiles))).toThrow(RoomLimitError);
        expect(s.current()).toBe(before);
      } else {
        const view = s.apply(frame(seq, tiles));
        model.splice(0, 12, ...expected);
        published++;
        expect(view.bytes).toBe(bytes);
        expect(view.filled).toBe(model.filter(Boolean).length);
      }
      expect(s.current().tiles).toEqual(model);
      if (taken && published - taken.published <= 2) expect(taken.view.tiles).toEqual(taken.tiles);
      if (!taken || published - taken.published >= 2)
        taken = { view: s.current(), tiles: [...s.current().tiles], published };
    }
    expect(refused).toBeGreaterThan(50);
  });
});
