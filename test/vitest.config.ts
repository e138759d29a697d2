import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Real sockets, real Chromium: two cores, so at most two files at once keeps timings honest. `npm test` runs
    // the Chromium files (test/e2e) after the rest: a browser encoding video takes more of the machine than the
    // timing bounds of the socket tests allow for, which are checked next to busy loops instead. Last, one at a
    // time, the files that measure frame rates (test/e2e/frame-rates): next to a second browser that encodes
    // video, a two-core machine leaves each pipeline a third of a core (measured: 3 fps, 0.35 browser cores).
    // The cluster isolation test runs there too: it measures 20 rooms' latency across 3 nodes and Redis during a
    // flood. Beside the first phase's CPU-heavy files (image rendering, churn, stream integrity's own busy loops)
    // its p99 reached 97 of 100 ms in CI (39-82 in four other runs); next to one or two busy loops, 39-86 ms.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
