// The capture frame-rate cap: down to a little above what the loop sends while it drops frames, back up while it
// keeps up, never below MIN_CAPTURE_FPS or above the maximum.
import { describe, expect, it } from 'vitest';
import { CaptureRateCap, MIN_CAPTURE_FPS } from '../../client/pages/present/capture-rate';

/** Runs `seconds` one-second updates of a loop that can send `canSend` frames/s of a capture at the cap. */
function run(cap: CaptureRateCap, seconds: number, canSend: number, totals = { in: 0, out: 0 }) {
  for (let s = 0; s < seconds; s++) {
    totals.in += cap.cap;
    totals.out += Math.min(cap.cap, canSend);
    cap.update(totals.in, totals.out);
  }
  return totals;
}

describe('CaptureRateCap', () => {
  it('follows a loop that cannot keep up, and returns to the maximum once it can', () => {
    const applied: number[] = [];
    const cap = new CaptureRateCap(30, (fps) => applied.push(fps));
    const totals = run(cap, 6, 14);
    // between the loop's rate and 1.5x of it: few frames are captured only to be dropped
    expect(cap.cap).toBeGreaterThanOrEqual(14);
    expect(cap.cap).toBeLessThanOrEqual(21);
    expect(applied[0]).toBe(17); // 30 delivered, 14 sent: 14 x 1.2
    run(cap, 6, 30, totals);
    expect(cap.cap).toBe(30);
  });

  it('a still screen (few frames, none dropped) never lowers the cap', () => {
    const applied: number[] = [];
    const cap = new CaptureRateCap(30, (fps) => applied.push(fps));
    let t = 0;
    for (let s = 1; s <= 10; s++) cap.update((t += 2), t);
    expect(applied).toEqual([]);
    expect(cap.cap).toBe(30);
  });

  it('never goes below the floor or above a new maximum, and ignores counters that start over', () => {
    const applied: number[] = [];
    const cap = new CaptureRateCap(30, (fps) => applied.push(fps));
    run(cap, 5, 1);
    expect(cap.cap).toBe(MIN_CAPTURE_FPS);
    cap.setMax(12);
    expect(cap.cap).toBe(12);
    cap.update(0, 0); // a new source: its counters start at 0
    expect(cap.cap).toBe(12);
    run(cap, 5, 30, { in: 0, out: 0 });
    expect(cap.cap).toBe(12);
    expect(Math.max(...applied)).toBe(12);
  });
});
