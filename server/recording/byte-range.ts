// HTTP Range (RFC 9110 §14) for one byte range. Multi-range requests are refused rather than served: they are
// the usual amplification trick (many overlapping ranges of one file), and the replay page never needs them.
import { BadRangeError, RangeNotSatisfiableError } from '../errors';

export interface ByteRange {
  start: number;
  /** inclusive */
  end: number;
}

const MAX_HEADER = 200;
const SPEC = /^(\d*)-(\d*)$/;

/**
 * Parses `Range` against a resource of `size` bytes. Returns null for "no range" (serve everything);
 * the end is clamped to the resource and to `maxLength` (the response then says, via Content-Range, what it holds).
 */
export function parseRange(header: string | undefined, size: number, maxLength: number): ByteRange | null {
  if (header === undefined || header === '') return null;
  if (header.length > MAX_HEADER)
    throw new BadRangeError(`Range header is ${header.length} characters, at most ${MAX_HEADER}`);
  const eq = header.indexOf('=');
  const unit = header.slice(0, eq).trim().toLowerCase();
  if (eq < 0 || unit !== 'bytes')
    throw new BadRangeError(`Range must be "bytes=START-END", got ${JSON.stringify(header)}`);
  const specs = header.slice(eq + 1).split(',');
  if (specs.length > 1)
    throw new BadRangeError(`Range asks for ${specs.length} ranges; only one range per request is served`);
  const m = SPEC.exec(specs[0].trim());
  if (!m || (m[1] === '' && m[2] === ''))
    throw new BadRangeError(
      `Range ${JSON.stringify(specs[0].trim())} is not START-END, START- or -SUFFIX with decimal numbers`,
    );
  const first = m[1] === '' ? null : Number(m[1]);
  const last = m[2] === '' ? null : Number(m[2]);
  if ((first !== null && !Number.isSafeInteger(first)) || (last !== null && !Number.isSafeInteger(last)))
    throw new BadRangeError('Range numbers are too large');
  let start: number;
  let end: number;
  if (first === null) {
    // suffix: the last N bytes
    if (last === 0) throw new RangeNotSatisfiableError('Range "-0" asks for no bytes');
    start = Math.max(0, size - last!);
    end = size - 1;
  } else {
    if (last !== null && last < first) throw new BadRangeError(`Range ${first}-${last} ends before it starts`);
    if (first >= size)
      throw new RangeNotSatisfiableError(`Range starts at byte ${first}, but only ${size} bytes are available`);
    start = first;
    end = Math.min(last ?? size - 1, size - 1);
  }
  if (size === 0) throw new RangeNotSatisfiableError('the recording has no bytes yet');
  // Over-long ranges are shortened; a suffix keeps its tail (that is what it asked for).
  if (first === null) start = Math.max(start, end - maxLength + 1);
  else end = Math.min(end, start + maxLength - 1);
  return { start, end };
}
