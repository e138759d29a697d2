// Byte counters start as doubles (server/double-zero.ts): one that started as a small integer would, on passing
// 2^31, make V8 throw away the optimized send path mid-stream. Checked the way it would show: V8's own deopt trace
// of a room relaying more than 2^31 bytes.
import { describe, expect, it } from 'vitest';
import { runRepoScript } from '../helpers/repo-script';

describe('byte counters', () => {
  it('pass 2^31 bytes without deoptimizing the code that counts them', () => {
    const run = runRepoScript(['--trace-deopt', '--import', 'tsx', 'test/server/scripts/relay-past-2gb.ts'], 120_000);
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const counts = JSON.parse(lines.at(-1)!) as { bytesIn: number; bytesOut: number; viewerBytesOut: number };
    for (const n of Object.values(counts)) expect(n).toBeGreaterThan(2 ** 31);
    const overflows = lines.filter((l) => l.includes('bailout') && l.includes('reason: overflow'));
    expect(overflows).toEqual([]);
  });
});
