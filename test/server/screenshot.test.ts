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
});
