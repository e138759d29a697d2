import { describe, expect, test } from 'vitest';
import { formatClock, formatSmpte, parseTimecode } from '../../shared/timecode';

describe('parseTimecode', () => {
  test.each([
    ['01:09:14:28', 30, ((1 * 60 + 9) * 60 + 14) * 1000 + (28 * 1000) / 30],
    ['00:00:01:00', 25, 1000],
    ['00:00:00:12', 25, 480],
    ['00:01:02.5', 30, 62_500],
    ['01:02.250', 30, 62_250],
    ['1:02', 30, 62_000],
    ['75', 30, 75_000],
    ['75.25', 30, 75_250],
    ['0', 30, 0],
    [' 00:00:10:00 ', 30, 10_000],
  ])('%s at %i fps is %f ms', (text, fps, ms) => {
    expect(parseTimecode(text, fps)).toEqual({ ok: true, ms });
  });

  test.each([
    ['', 30, 'timecode is empty; use HH:MM:SS:FF, HH:MM:SS.mmm or seconds'],
    ['00:00:00:30', 30, 'timecode 00:00:00:30: frame 30 does not exist at 30 fps (frames are 00..29)'],
    ['00:61:00:00', 30, 'timecode 00:61:00:00: minutes must be 00..59, got 61'],
    ['00:00:75.000', 30, 'timecode 00:00:75.000: seconds must be 00..59, got 75'],
    ['-3', 30, 'timecode -3 is negative'],
    ['abc', 30, 'timecode "abc" is not HH:MM:SS:FF, HH:MM:SS.mmm or a number of seconds'],
    ['1e3', 30, 'timecode "1e3" is not HH:MM:SS:FF, HH:MM:SS.mmm or a number of seconds'],
    ['x'.repeat(40), 30, 'timecode is 40 characters long, at most 32'],
  ])('%j is rejected: %s', (text, fps, message) => {
    expect(parseTimecode(text, fps)).toEqual({ ok: false, message });
  });

  test('a time past the end says where the end is', () => {
    expect(parseTimecode('00:01:00:00', 30, 59_500)).toEqual({
      ok: false,
      message: 'timecode 00:01:00:00 is past the end of the recording (00:00:59:15, 59.500 s)',
    });
    expect(parseTimecode('59.5', 30, 59_500)).toEqual({ ok: true, ms: 59_500 });
  });
});

describe('formatting', () => {
  test('SMPTE frames round down so the label never runs ahead of the picture', () => {
    expect(formatSmpte(4_154_933.33, 30)).toBe('01:09:14:27');
    expect(formatSmpte(4_154_934, 30)).toBe('01:09:14:28');
    expect(formatSmpte(0, 30)).toBe('00:00:00:00');
  });

  test('round trip through SMPTE at the frame grid', () => {
    for (const frame of [0, 1, 29, 30, 1799, 108_000]) {
      const ms = (frame * 1000) / 30;
      const text = formatSmpte(ms, 30);
      const back = parseTimecode(text, 30);
      expect(back.ok && Math.abs(back.ms - ms) < 1e-6).toBe(true);
    }
  });

  test('clock format', () => {
    expect(formatClock(3_723_004)).toBe('01:02:03.004');
  });
});
