// Timecodes for recordings, shared by the server (seek, frame render) and the replay page.
// Accepted: SMPTE `HH:MM:SS:FF` (FF counts frames at the recording's nominal rate), `HH:MM:SS.mmm`,
// `MM:SS(.mmm)` and plain seconds (`75`, `75.5`). Everything resolves to milliseconds (may be fractional).

export type TimecodeResult = { ok: true; ms: number } | { ok: false; message: string };

const SMPTE = /^(\d{1,3}):(\d{2}):(\d{2}):(\d{2,3})$/;
const CLOCK = /^(?:(\d{1,3}):)?(\d{1,2}):(\d{2})(?:\.(\d{1,3}))?$/;
const SECONDS = /^\d{1,9}(?:\.\d{1,6})?$/;
const MAX_TEXT = 32;

function fail(message: string): TimecodeResult {
  return { ok: false, message };
}

/** Parses a timecode; `durationMs` (when given) is the inclusive upper bound. Messages say what was wrong. */
export function parseTimecode(text: string, frameRate: number, durationMs?: number): TimecodeResult {
  const raw = text.trim();
  if (raw === '') return fail('timecode is empty; use HH:MM:SS:FF, HH:MM:SS.mmm or seconds');
  if (raw.length > MAX_TEXT) return fail(`timecode is ${raw.length} characters long, at most ${MAX_TEXT}`);
  const parsed = parseShape(raw, frameRate);
  if (!parsed.ok) return parsed;
  if (durationMs !== undefined && parsed.ms > durationMs)
    return fail(
      `timecode ${raw} is past the end of the recording (${formatSmpte(durationMs, frameRate)}, ${(durationMs / 1000).toFixed(3)} s)`,
    );
  return parsed;
}

function parseShape(raw: string, frameRate: number): TimecodeResult {
  let m = SMPTE.exec(raw);
  if (m) {
    const [h, min, s, ff] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
    const bad = fields(raw, min, s);
    if (bad) return bad;
    if (ff >= frameRate)
      return fail(
        `timecode ${raw}: frame ${ff} does not exist at ${frameRate} fps (frames are 00..${pad(Math.ceil(frameRate) - 1)})`,
      );
    return { ok: true, ms: ((h * 60 + min) * 60 + s) * 1000 + (ff * 1000) / frameRate };
  }
  m = CLOCK.exec(raw);
  if (m) {
    const h = m[1] === undefined ? 0 : Number(m[1]);
    const [min, s] = [Number(m[2]), Number(m[3])];
    const bad = fields(raw, min, s);
    if (bad) return bad;
    const frac = m[4] === undefined ? 0 : Number(m[4].padEnd(3, '0'));
    return { ok: true, ms: ((h * 60 + min) * 60 + s) * 1000 + frac };
  }
  if (SECONDS.test(raw)) return { ok: true, ms: Number(raw) * 1000 };
  if (raw.startsWith('-')) return fail(`timecode ${raw} is negative`);
  return fail(`timecode ${JSON.stringify(raw)} is not HH:MM:SS:FF, HH:MM:SS.mmm or a number of seconds`);
}

function fields(raw: string, minutes: number, seconds: number): TimecodeResult | null {
  if (minutes > 59) return fail(`timecode ${raw}: minutes must be 00..59, got ${minutes}`);
  if (seconds > 59) return fail(`timecode ${raw}: seconds must be 00..59, got ${seconds}`);
  return null;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function split(ms: number): { h: number; m: number; s: number; rest: number } {
  const whole = Math.max(0, ms);
  const totalSeconds = Math.floor(whole / 1000);
  return {
    h: Math.floor(totalSeconds / 3600),
    m: Math.floor(totalSeconds / 60) % 60,
    s: totalSeconds % 60,
    rest: whole - totalSeconds * 1000,
  };
}

/** `HH:MM:SS:FF`, frames rounded down so the label never runs ahead of the picture. */
export function formatSmpte(ms: number, frameRate: number): string {
  const { h, m, s, rest } = split(ms);
  const ff = Math.min(Math.ceil(frameRate) - 1, Math.floor((rest * frameRate) / 1000 + 1e-9));
  return `${pad(h)}:${pad(m)}:${pad(s)}:${pad(ff)}`;
}

/** `HH:MM:SS.mmm` */
export function formatClock(ms: number): string {
  const { h, m, s, rest } = split(ms);
  return `${pad(h)}:${pad(m)}:${pad(s)}.${pad(Math.floor(rest), 3)}`;
}
