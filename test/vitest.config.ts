import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Real sockets, real Chromium: two cores, so at most two files at once keeps timings honest.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
