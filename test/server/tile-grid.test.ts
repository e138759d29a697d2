import { describe, expect, it } from 'vitest';
import { TileGrid } from '../../server/fanout/tile-grid';
import type { TileEntry } from '../../server/frames/tile-entry';

const tile = (index: number, seq: number): TileEntry => ({
  index,
  col: index,
  row: 0,
  seq,
  message: new Uint8Array([seq]),
});

describe('TileGrid (per-viewer grid + dirty queue)', () => {
  it('a newer tile replaces an unsent older one and is counted as coalesced', () => {
    const g = new TileGrid(4);
    g.put(tile(2, 1));
    g.put(tile(2, 2));
    g.put(tile(2, 3));
    expect(g.pending).toBe(1);
    expect(g.coalesced).toBe(2);
    expect(g.coalescedSinceSync).toBe(2);
    expect(g.take()?.seq).toBe(3);
    expect(g.take()).toBeNull();
    // the sender zeroes the per-sync count at a sync; the running total stays
    g.coalescedSinceSync = 0;
    g.put(tile(2, 4));
    g.put(tile(2, 5));
    expect([g.coalesced, g.coalescedSinceSync]).toEqual([3, 1]);
  });

  it('queues each index at most once, in the order it first became dirty', () => {
    const g = new TileGrid(4);
    for (const i of [3, 1, 3, 0, 1]) g.put(tile(i, i));
    expect(g.pending).toBe(3);
    expect([g.take()?.index, g.take()?.index, g.take()?.index]).toEqual([3, 1, 0]);
  });

  it('stays bounded by the tile count however far behind the viewer is', () => {
    const g = new TileGrid(16);
    for (let seq = 0; seq < 100_000; seq++) g.put(tile(seq % 16, seq));
    expect(g.pending).toBe(16);
    expect(g.coalesced).toBe(100_000 - 16);
    const seqs = [];
    for (let e = g.take(); e; e = g.take()) seqs.push(e.seq);
    expect(seqs).toEqual(Array.from({ length: 16 }, (_, i) => 100_000 - 16 + i));
  });

  it('the ring wraps around correctly across many drain cycles', () => {
    const g = new TileGrid(5);
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let k = 0; k < 3; k++) g.put(tile((round * 3 + k) % 5, round * 3 + k));
      for (let k = 0; k < 3; k++) expect(g.take()?.seq).toBe(expected++);
    }
    expect(g.pending).toBe(0);
  });

  it('releases a tile once taken and can be re-dirtied', () => {
    const g = new TileGrid(2);
    g.put(tile(0, 1));
    g.take();
    g.put(tile(0, 2));
    expect(g.coalesced).toBe(0);
    expect(g.take()?.seq).toBe(2);
  });

  it('reset empties the grid for a new size', () => {
    const g = new TileGrid(2);
    g.put(tile(1, 1));
    g.reset(8);
    expect(g.pending).toBe(0);
    expect(g.size).toBe(8);
    g.put(tile(7, 2));
    expect(g.take()?.index).toBe(7);
  });
});

describe('TileGrid memory (lazy, reused across geometry changes)', () => {
  it('allocates nothing until the first put, then exactly the grid size', () => {
    const g = new TileGrid(262_144);
    expect(g.size).toBe(262_144);
    expect(g.capacity).toBe(0);
    g.put(tile(5, 1));
    expect(g.capacity).toBe(262_144);
  });

  it('keeps its memory when the geometry shrinks and grows back, and clears only what was queued', () => {
    const g = new TileGrid(100);
    for (let i = 0; i < 100; i += 7) g.put(tile(i, i));
    g.reset(10);
    expect([g.pending, g.size, g.capacity]).toEqual([0, 10, 100]);
    g.put(tile(9, 1));
    expect(g.take()?.index).toBe(9);
    g.reset(100);
    g.put(tile(99, 2));
    g.put(tile(0, 3));
    expect([g.take()?.index, g.take()?.index, g.take()]).toEqual([99, 0, null]);
    expect(g.capacity).toBe(100);
  });

  it('a reset drops every queued tile, whatever the ring position', () => {
    const g = new TileGrid(4);
    for (let round = 0; round < 7; round++) {
      g.put(tile(round % 4, round));
      g.put(tile((round + 1) % 4, round));
      g.take();
      g.reset(4);
      expect(g.pending).toBe(0);
      expect(g.take()).toBeNull();
    }
  });
});
