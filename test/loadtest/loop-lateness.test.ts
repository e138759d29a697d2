import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { loopLateness, loopMonitor } from '../../client/loadtest/loop-lateness';

function block(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('loopLateness', () => {
  it('reads how late the event loop ran, without the monitor timer period', async () => {
    const monitor = loopMonitor();
    monitor.enable();
    await sleep(100);
    for (let i = 0; i < 3; i++) {
      block(60);
      await sleep(30);
    }
    monitor.disable();
    const late = loopLateness(monitor);
    // each 60 ms block holds the 10 ms timer back: the period that spans it is >= 60 ms, so >= 50 ms late
    expect(late.max).toBeGreaterThanOrEqual(50);
    // the raw monitor reads the whole period: the lateness is that less 10 ms
    expect(late.max).toBeCloseTo(monitor.max / 1e6 - 10, 6);
    expect(late.p99).toBeGreaterThanOrEqual(0);
    expect(late.p99).toBeLessThanOrEqual(late.max);
  });
});
