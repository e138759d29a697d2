// The room's fps meter: the last 240 frame stamps, counted over the last second.
import { describe, expect, it } from 'vitest';
import { FpsMeter } from '../../server/room/fps-meter';

describe('FpsMeter', () => {
  it('counts the frames of the last second only', () => {
    const m = new FpsMeter();
    expect(m.rate(0)).toBe(0);
    for (let t = 0; t < 2000; t += 100) m.tick(t); // 20 frames at 10 fps
    expect(m.rate(1900)).toBe(11); // stamps at 900, 1000, ..., 1900: up to 1000 ms old counts
    expect(m.rate(5000)).toBe(0);
  });

  it('keeps at most the last 240 stamps, however many frames came', () => {
    const m = new FpsMeter();
    for (let i = 0; i < 1000; i++) m.tick(10_000 + i); // 1000 frames within one second
    expect(m.rate(10_999)).toBe(240);
    m.tick(20_000);
    expect(m.rate(20_000)).toBe(1);
  });
});
