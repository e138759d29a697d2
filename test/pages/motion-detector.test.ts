// The presenter's motion region, without a browser: which tiles become a video region, when it grows, and when a
// quiet screen ends it.
import { describe, expect, it } from 'vitest';
import { MotionDetector, regionTiles } from '../../client/pages/present/motion-detector';

const g = { width: 640, height: 384, tileSize: 64 }; // 10 x 6 tiles
const block = (col: number, row: number, columns: number, rows: number) => regionTiles(g, { col, row, columns, rows });

function feed(d: MotionDetector, changed: number[], frames: number, from = 0, stepMs = 33) {
  let region = null;
  for (let i = 0; i < frames; i++) region = d.update(g, changed, from + i * stepMs);
  return region;
}

describe('MotionDetector', () => {
  it('starts a region once the same big block has changed in each of the last 3 frames', () => {
    const d = new MotionDetector();
    const video = block(2, 1, 5, 4); // 20 of 60 tiles: a third of the screen
    expect(feed(d, video, 2)).toBeNull();
    expect(d.update(g, video, 100)).toEqual({ col: 2, row: 1, columns: 5, rows: 4 });
  });

  it('ignores small changes and a lone far-away tile that changes every frame (a clock)', () => {
    const d = new MotionDetector();
    expect(feed(d, block(0, 0, 3, 2), 10)).toBeNull(); // 6 tiles, 384x128 px: too small
    const withClock = [...block(3, 2, 6, 4), 0];
    expect(feed(d, withClock, 4, 1000)).toEqual({ col: 3, row: 2, columns: 6, rows: 4 });
  });

  it('grows when the moving group outgrows it, and ends after it has been quiet for a while', () => {
    const d = new MotionDetector();
    feed(d, block(0, 0, 5, 4), 3);
    // grown to take in the group (8 x 5), and a quarter of that further right and down, within the 10 x 6 grid
    expect(feed(d, block(2, 1, 6, 4), 3, 200)).toEqual({ col: 0, row: 0, columns: 10, rows: 6 });
    // a few tiles of it still change: under 10 %, so it counts as quiet
    expect(d.update(g, [0], 400)).not.toBeNull();
    expect(d.update(g, [0], 800)).not.toBeNull(); // last busy frame at 266 ms, quiet for 600 ms ends it
    expect(d.update(g, [0], 900)).toBeNull();
  });

  it('a window moving across the screen makes a few steps of growth, not one per tile it moves', () => {
    const wide = { width: 1920, height: 1088, tileSize: 64 }; // 30 x 17 tiles
    const d = new MotionDetector();
    const regions = new Set<string>();
    // a 10 x 6 tile video window moving right by a tile every 3 frames, from the left edge to the right edge
    let r = null;
    for (let step = 0; step <= 20; step++) {
      const window = regionTiles(wide, { col: step, row: 5, columns: 10, rows: 6 });
      for (let f = 0; f < 3; f++) {
        r = d.update(wide, window, (step * 3 + f) * 33);
        if (r) regions.add(`${r.col},${r.row} ${r.columns}x${r.rows}`);
      }
    }
    expect(r).toMatchObject({ row: 5, rows: 6 });
    expect(r!.col + r!.columns).toBe(30);
    expect(regions.size).toBeGreaterThan(1);
    expect(regions.size).toBeLessThanOrEqual(6); // one per tile moved would be 20
  });

  it('a new geometry forgets the region', () => {
    const d = new MotionDetector();
    feed(d, block(0, 0, 10, 6), 3);
    expect(d.current).not.toBeNull();
    expect(d.update({ ...g, tileSize: 32 }, [], 200)).toBeNull();
  });
});
