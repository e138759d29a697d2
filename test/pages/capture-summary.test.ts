// The presenter's capture line reports the frames actually sent (issue 12, item 4: it said "pacing 30 of 30 fps"
// while 3-7 fps went out).
import { describe, expect, it } from 'vitest';
import { captureSummary } from '../../client/pages/present/stats-text';

const base = {
  width: 1280,
  height: 720,
  tileSize: 64,
  codec: 'webp',
  maxFps: 30,
  pacingFps: 30,
  workMs: 84.4,
  skippedTicks: 0,
};

describe('presenter capture summary', () => {
  it('shows the measured send rate, not the pacer target', () => {
    const text = captureSummary({ ...base, sentFps: 4.2 });
    expect(text).toBe('1280×720 · 64 px tiles · webp · sending 4.2 fps (max 30) · encode 84 ms');
    expect(text).not.toMatch(/30 of 30/);
  });

  it('names the link only when it holds the rate below the cap', () => {
    expect(captureSummary({ ...base, sentFps: 12, pacingFps: 12.4, skippedTicks: 3 })).toBe(
      '1280×720 · 64 px tiles · webp · sending 12 fps (max 30) · link allows 12 fps · encode 84 ms · 3 ticks skipped (slow link)',
    );
  });

  it('names the motion region while one is sent as video', () => {
    const motion = { state: 'active', region: '0,0 16x10', scale: 0.75 };
    expect(captureSummary({ ...base, sentFps: 20, motion })).toBe(
      '1280×720 · 64 px tiles · webp · sending 20 fps (max 30) · encode 84 ms · video region 0,0 16x10 tiles at 75 %',
    );
    expect(captureSummary({ ...base, sentFps: 20, motion: { ...motion, state: 'idle', region: null } })).not.toMatch(
      /video/,
    );
  });
});
