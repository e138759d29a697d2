// The shared fan-out step queue: steps run on the next turn in order, a step queued while the queue runs waits for
// the turn after, and one failing step neither stops the others nor goes unnoticed (it surfaces as uncaught, as a
// room's own setImmediate would have).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { stepSoon } from '../../server/fanout/step-queue';

const run = promisify(execFile);

describe('stepSoon', () => {
  it('runs queued steps on the next turn, in order; a step queued meanwhile runs a turn later', async () => {
    const seen: string[] = [];
    stepSoon(() => {
      seen.push('a');
      stepSoon(() => seen.push('again'));
    });
    stepSoon(() => seen.push('b'));
    expect(seen).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['a', 'b']);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['a', 'b', 'again']);
  });

  it('runs every other step when one throws, then surfaces the error', async () => {
    const script = `
      const { stepSoon } = await import('./server/fanout/step-queue.ts');
      process.on('uncaughtException', (err) => { console.log('uncaught', err.message); });
      stepSoon(() => console.log('first'));
      stepSoon(() => { throw new Error('room bug'); });
      stepSoon(() => console.log('third'));
      setTimeout(() => stepSoon(() => console.log('next turn still runs')), 20);
    `;
    const { stdout } = await run('node', ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: process.cwd(),
    });
    expect(stdout.trim().split('\n')).toEqual(['first', 'third', 'uncaught room bug', 'next turn still runs']);
  });
});
