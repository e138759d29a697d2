// Byte counters start as doubles (server/double-zero.ts): one that started as a small integer would, on passing
// 2^31, change its object's layout and make V8 throw away the optimized send path mid-stream. Checked the way it
// would show: V8's own deopt trace of a room relaying more than 2^31 bytes. (The capture times' part of that change
// only shows with viewers joining at the right moments of a live server; see 2026-12-01-warmup.md.)
import { describe, expect, it } from 'vitest';
import { runRepoScript } from '../helpers/repo-script';

describe('byte counters', () => {
  it('pass 2^31 bytes without deoptimizing the code that counts them', () => {
    const run = runRepoScript(['--trace-deopt', '--import', 'tsx', 'test/server/scripts/relay-past-2gb.ts'], 120_000);
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    // only the relay's own trace: loading the modules before it once deoptimized Node's module lexer
    const start = lines.indexOf('relay starts');
    expect(start, 'the relay never started').toBeGreaterThanOrEqual(0);
    const relay = lines.slice(start);
    const counts = JSON.parse(lines.at(-1)!) as { bytesIn: number; bytesOut: number; viewerBytesOut: number };
    for (const n of Object.values(counts)) expect(n).toBeGreaterThan(2 ** 31);
    // an integer overflowing, or an object whose layout changed under optimized code
    const layoutBailouts = relay.filter((l) => l.includes('bailout') && /reason: (overflow|wrong map)/.test(l));
    expect(layoutBailouts).toEqual([]);
  });
});
