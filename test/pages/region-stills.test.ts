// Which tiles the presenter sends as still tiles around a motion region (client/pages/present/region-stills.ts):
// changes outside it at once, changes inside it within the refresh period (oldest first), unchanged tiles never
// again, and everything the region leaves at once.
import { describe, expect, it } from 'vitest';
import { regionTiles } from '../../client/pages/present/motion-detector';
import { RegionStills, refreshMs } from '../../client/pages/present/region-stills';
import { inMotionMask } from '../../shared/protocol/motion';

const g = { width: 640, height: 384, tileSize: 64 }; // 10 x 6 tiles
const region = { col: 2, row: 1, columns: 5, rows: 4 }; // 20 tiles
const inside = regionTiles(g, region);
const outside = [0, 1, 59];
const FRAME_MS = 33;

describe('RegionStills', () => {
  it('sends changes outside the region at once and holds those inside it when the region starts', () => {
    const s = new RegionStills();
    const plan = s.plan(g, [...outside, ...inside], null, region, false, 0);
    expect(plan.stills).toEqual(outside);
    expect(plan.held).toEqual(inside);
  });

  it('sends every changed tile inside within the refresh period, oldest change first, and unchanged ones never', () => {
    const s = new RegionStills();
    // the left half of the region changes every frame (a video), the right half never (the desktop under it)
    const moving = inside.filter((i) => i % 10 < 4);
    const still = inside.filter((i) => i % 10 >= 4);
    const lastSent = new Map<number, number>();
    const gaps: number[] = [];
    let now = 0;
    s.plan(g, moving, null, region, false, now);
    for (let frame = 1; frame < 200; frame++) {
      now = frame * FRAME_MS;
      const plan = s.plan(g, moving, region, region, false, now);
      expect(plan.stills.filter((i) => still.includes(i))).toEqual([]);
      expect(plan.held).toEqual(inside.filter((i) => !plan.stills.includes(i)));
      for (const i of plan.stills) {
        gaps.push(now - (lastSent.get(i) ?? 0));
        lastSent.set(i, now);
      }
    }
    expect([...lastSent.keys()].sort((a, b) => a - b)).toEqual(moving);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(refreshMs(inside.length) + FRAME_MS);
    // and no faster than the budget allows: the region's tiles over a refresh period
    const sentPerPeriod = (gaps.length / (200 * FRAME_MS)) * refreshMs(inside.length);
    expect(sentPerPeriod).toBeLessThanOrEqual(inside.length * 1.1);
  });

  it('a tile changed once inside the region is sent once, within the refresh period', () => {
    const s = new RegionStills();
    s.plan(g, inside, null, region, false, 0);
    const sentAt: number[] = [];
    for (let frame = 1; frame < 100; frame++) {
      const plan = s.plan(g, frame === 5 ? [inside[7]] : [], region, region, false, frame * FRAME_MS);
      if (plan.stills.includes(inside[7])) sentAt.push(frame * FRAME_MS);
    }
    // it changed at frame 0 (with the whole region) and at frame 5: sent once for both, in time
    expect(sentAt.length).toBe(1);
    expect(sentAt[0]).toBeLessThanOrEqual(refreshMs(inside.length) + FRAME_MS);
  });

  it('sends nothing more when the region grows, and every tile it leaves when it moves or ends', () => {
    const s = new RegionStills();
    s.plan(g, inside, null, region, false, 0);
    const grown = { col: 1, row: 1, columns: 6, rows: 5 };
    expect(s.plan(g, [], region, grown, false, FRAME_MS).stills).toEqual([]);
    const moved = { col: 4, row: 0, columns: 6, rows: 6 };
    const left = regionTiles(g, grown).filter((i) => !regionTiles(g, moved).includes(i));
    expect(s.plan(g, [], grown, moved, false, 2 * FRAME_MS).stills).toEqual(left);
    const ended = s.plan(g, [0], moved, null, false, 3 * FRAME_MS);
    expect(ended.stills).toEqual([0, ...regionTiles(g, moved)].sort((a, b) => a - b));
    expect(ended.held).toEqual([]);
  });

  it('a full frame sends every tile and holds none', () => {
    const s = new RegionStills();
    const all = Array.from({ length: 60 }, (_, i) => i);
    s.plan(g, inside, null, region, false, 0);
    expect(s.plan(g, all, region, region, true, FRAME_MS)).toMatchObject({ stills: all, held: [] });
    // what the full frame sent is held by the server: nothing is owed afterwards
    expect(s.plan(g, [], region, region, false, 60 * FRAME_MS).stills).toEqual([]);
  });

  it('a new geometry is a full frame of its own: the old region leaves nothing outside the new grid', () => {
    const s = new RegionStills();
    const wide = { width: 1920, height: 1088, tileSize: 64 }; // 30 x 17
    const big = { col: 0, row: 0, columns: 27, rows: 14 };
    s.plan(g, [], null, null, false, 0);
    s.plan(wide, regionTiles(wide, big), null, big, false, FRAME_MS);
    // the share switches to a 10 x 6 window while the region is active: the new geometry's full frame
    const all = Array.from({ length: 60 }, (_, i) => i);
    expect(s.plan(g, all, big, null, true, 2 * FRAME_MS)).toEqual({ stills: all, held: [], mask: null });
  });

  it("masks the region's tiles the server does not have as stills: changed now or waiting for their turn", () => {
    const s = new RegionStills();
    const marked = (mask: Uint8Array | null) => inside.filter((_, k) => inMotionMask(mask!, k));
    // the region starts: its changed tiles are held, and the video paints them
    expect(marked(s.plan(g, inside.slice(0, 6), null, region, false, 0).mask)).toEqual(inside.slice(0, 6));
    // 200 ms later two more change; the oldest changes' turn came (sent as stills): the rest stay marked
    const plan = s.plan(g, [inside[10], inside[11]], region, region, false, 200);
    expect(plan.stills).toEqual(inside.slice(0, 2));
    const expected = [...inside.slice(0, 6), inside[10], inside[11]].filter((i) => !plan.stills.includes(i));
    expect(marked(plan.mask)).toEqual(expected.sort((a, b) => a - b));
    // a full frame sends every tile: the video paints none
    const all = Array.from({ length: 60 }, (_, i) => i);
    expect(marked(s.plan(g, all, region, region, true, 300).mask)).toEqual([]);
    // no region, no mask
    expect(s.plan(g, [], region, null, false, 400).mask).toBeNull();
  });
});
