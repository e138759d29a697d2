import { describe, expect, test } from 'vitest';
import { parseRange } from '../../server/recording/byte-range';
import { BadRangeError, RangeNotSatisfiableError } from '../../server/errors';

const SIZE = 1000;
const MAX = 300;

describe('parseRange', () => {
  test('no header means the whole resource', () => {
    expect(parseRange(undefined, SIZE, MAX)).toBeNull();
    expect(parseRange('', SIZE, MAX)).toBeNull();
  });

  test.each([
    ['bytes=0-99', { start: 0, end: 99 }],
    ['bytes=900-', { start: 900, end: 999 }],
    ['bytes=-100', { start: 900, end: 999 }],
    ['bytes=-5000', { start: 700, end: 999 }],
    ['bytes=990-5000', { start: 990, end: 999 }],
    ['bytes=0-', { start: 0, end: 299 }],
    ['Bytes = 10-19', { start: 10, end: 19 }],
  ])('%s', (header, range) => {
    expect(parseRange(header, SIZE, MAX)).toEqual(range);
  });

  test.each([
    ['bytes=1000-', 'Range starts at byte 1000, but only 1000 bytes are available'],
    ['bytes=5000-6000', 'Range starts at byte 5000, but only 1000 bytes are available'],
    ['bytes=-0', 'Range "-0" asks for no bytes'],
  ])('%s is unsatisfiable (416)', (header, message) => {
    expect(() => parseRange(header, SIZE, MAX)).toThrow(new RangeNotSatisfiableError(message));
  });

  test.each([
    ['bytes=0-10,5-20', 'Range asks for 2 ranges; only one range per request is served'],
    ['bytes=0-1,0-1,0-1,0-1', 'Range asks for 4 ranges; only one range per request is served'],
    ['bytes=abc-', 'Range "abc-" is not START-END, START- or -SUFFIX with decimal numbers'],
    ['bytes=1.5-2', 'Range "1.5-2" is not START-END, START- or -SUFFIX with decimal numbers'],
    ['bytes=-', 'Range "-" is not START-END, START- or -SUFFIX with decimal numbers'],
    ['bytes=0x10-20', 'Range "0x10-20" is not START-END, START- or -SUFFIX with decimal numbers'],
    ['items=0-1', 'Range must be "bytes=START-END", got "items=0-1"'],
    ['0-1', 'Range must be "bytes=START-END", got "0-1"'],
    ['bytes=20-10', 'Range 20-10 ends before it starts'],
    ['bytes=0-99999999999999999999999', 'Range numbers are too large'],
  ])('%s is rejected (400)', (header, message) => {
    expect(() => parseRange(header, SIZE, MAX)).toThrow(new BadRangeError(message));
  });

  test('an over-long header is rejected before parsing', () => {
    expect(() => parseRange(`bytes=${'0-1,'.repeat(100)}0-1`, SIZE, MAX)).toThrow(BadRangeError);
  });

  test('an empty resource satisfies no range', () => {
    expect(() => parseRange('bytes=0-', 0, MAX)).toThrow(RangeNotSatisfiableError);
  });
});
