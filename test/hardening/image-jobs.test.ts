// The image queue on its own: at most `active` jobs run, at most `queued` wait, the rest are refused at once;
// a waiting job whose client leaves gives its place up and never runs.
import { describe, expect, it } from 'vitest';
import { ClientGoneError, ImageBusyError } from '../../server/errors';
import { ImageJobs } from '../../server/imaging/image-jobs';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe('ImageJobs', () => {
  it('runs at most maxActive at once, queues maxQueued in order, refuses the rest with 503', async () => {
    const jobs = new ImageJobs(2, 2);
    const gates = Array.from({ length: 4 }, gate);
    const order: number[] = [];
    const runs = gates.map((g, i) => jobs.run(async () => (order.push(i), await g.opened, i)));
    await Promise.resolve();
    expect([jobs.active, jobs.queued]).toEqual([2, 2]);
    const refused = await jobs.run(async () => 99).catch((e) => e);
    expect(refused).toBeInstanceOf(ImageBusyError);
    expect(refused.httpStatus).toBe(503);
    gates[1].open();
    await runs[1];
    await Promise.resolve();
    expect(order).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect([jobs.active, jobs.queued]).toEqual([0, 0]);
  });

  it('a waiting job whose client left frees its place and never runs; an aborted one never starts', async () => {
    const jobs = new ImageJobs(1, 1);
    const g = gate();
    const first = jobs.run(() => g.opened);
    const leaving = new AbortController();
    let ran = false;
    const waiting = jobs.run(async () => void (ran = true), leaving.signal).catch((e) => e);
    expect(jobs.queued).toBe(1);
    leaving.abort();
    expect(await waiting).toBeInstanceOf(ClientGoneError);
    expect(jobs.queued).toBe(0);
    // its place is free again
    const next = jobs.run(async () => 'next');
    expect(jobs.queued).toBe(1);
    g.open();
    await first;
    expect(await next).toBe('next');
    expect(ran).toBe(false);
    expect(await jobs.run(async () => 1, AbortSignal.abort()).catch((e) => e)).toBeInstanceOf(ClientGoneError);
    expect([jobs.active, jobs.queued]).toEqual([0, 0]);
  });

  it('a failing job hands its slot on', async () => {
    const jobs = new ImageJobs(1, 4);
    const results = await Promise.allSettled([
      jobs.run(async () => {
        throw new Error('boom');
      }),
      jobs.run(async () => 2),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect([jobs.active, jobs.queued]).toEqual([0, 0]);
  });
});
