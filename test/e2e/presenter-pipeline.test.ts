// The presenter's pure pieces, without a browser: change detection, message chunking and pacing.
import { describe, expect, it } from 'vitest';
import { chunkTiles } from '../../client/pages/present/chunk-tiles';
import { Pacer } from '../../client/pages/present/pacer';
import { changedTiles } from '../../client/lib/tile-diff';
import { FRAME_HEADER_BYTES, TILE_HEADER_BYTES } from '../../shared/protocol';

describe('changedTiles', () => {
  const g = { width: 100, height: 70, tileSize: 32 }; // 4 x 3 grid, clipped edge tiles

  it('reports every tile when there is no previous frame', () => {
    expect(changedTiles(g, new Uint32Array(100 * 70), null)).toEqual([...Array(12).keys()]);
  });

  it('reports only the tiles whose pixels differ, edge tiles included', () => {
    const a = new Uint32Array(100 * 70);
    const b = a.slice();
    b[0] = 1; // tile (0,0)
    b[40 * 100 + 99] = 1; // x 99, y 40: tile (3,1), a clipped edge tile
    b[69 * 100 + 64] = 1; // x 64, y 69: tile (2,2), bottom edge
    expect(changedTiles(g, b, a)).toEqual([0, 7, 10]);
    expect(changedTiles(g, a, a.slice())).toEqual([]);
  });
});

describe('chunkTiles', () => {
  const tile = (n: number) => ({ col: 0, row: 0, codec: 'webp' as const, payload: new Uint8Array(n) });

  it('keeps every message under the byte limit and the tile limit, in order', () => {
    const tiles = [tile(100), tile(100), tile(100), tile(100), tile(100)];
    const limit = FRAME_HEADER_BYTES + 2 * (TILE_HEADER_BYTES + 100);
    const chunks = chunkTiles(tiles, { maxMessageBytes: limit, maxTilesPerFrame: 10 });
    expect(chunks.map((c) => c.length)).toEqual([2, 2, 1]);
    expect(chunks.flat()).toEqual(tiles);
    expect(chunkTiles(tiles, { maxMessageBytes: 1 << 20, maxTilesPerFrame: 3 }).map((c) => c.length)).toEqual([3, 2]);
  });

  it('gives an oversized tile a message of its own rather than dropping it', () => {
    expect(
      chunkTiles([tile(10), tile(5000), tile(10)], { maxMessageBytes: 1000, maxTilesPerFrame: 10 }).map(
        (c) => c.length,
      ),
    ).toEqual([1, 1, 1]);
  });
});

describe('Pacer', () => {
  const limits = { minFps: 2, maxFps: 30, highWaterBytes: 100_000 };

  it('captures at most at the cap', () => {
    const p = new Pacer(limits);
    expect(p.decide(0, 0)).toEqual({ action: 'capture' });
    const next = p.decide(10, 0);
    expect(next.action).toBe('wait');
    expect((next as { ms: number }).ms).toBeCloseTo(1000 / 30 - 10);
    expect(p.decide(34, 0)).toEqual({ action: 'capture' });
  });

  it('skips ticks while the socket is backed up, slowing down to the floor, then recovers', () => {
    const p = new Pacer(limits);
    let now = 0;
    for (let i = 0; i < 40; i++) {
      const d = p.decide(now, 500_000);
      expect(d.action).not.toBe('capture');
      now += d.action === 'wait' || d.action === 'skip' ? d.ms : 0;
    }
    expect(p.fps).toBe(2);
    expect(p.skipped).toBeGreaterThan(5);
    for (let i = 0; i < 60; i++) p.sent(0);
    expect(p.fps).toBe(30);
  });

  it('does not speed up while the socket still holds a lot', () => {
    const p = new Pacer(limits);
    p.decide(0, 500_000);
    const slowed = p.fps;
    p.sent(60_000);
    expect(p.fps).toBe(slowed);
  });
});
