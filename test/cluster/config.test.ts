// Cluster settings: flags and env, the shared-secret rule, --workers parsing, and the missing redis-server error.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config';

const ROOT = path.resolve(__dirname, '../..');
const SECRET = 's'.repeat(32);

describe('cluster configuration', () => {
  it('--redis without a configured secret is refused with one line naming the setting', () => {
    expect(() => loadConfig({}, {}, ['--redis', 'redis://127.0.0.1:6379'])).toThrow(ConfigError);
    expect(() => loadConfig({}, { TILECAST_REDIS_URL: 'redis://x' })).toThrow(
      /secret: a cluster \(--redis\) needs --secret/,
    );
    expect(() => loadConfig({}, { TILECAST_REDIS_URL: 'redis://x', TILECAST_SECRET: 'short' })).toThrow(
      /at least 32 bytes/,
    );
    const ok = loadConfig(
      {},
      { TILECAST_REDIS_URL: 'unix:/tmp/r.sock', TILECAST_SECRET: SECRET, TILECAST_NODE_ID: 'n1' },
    );
    expect(ok).toMatchObject({
      redis: 'unix:/tmp/r.sock',
      nodeId: 'n1',
      workers: null,
      busMaxMessageBytes: 1024 * 1024,
    });
  });

  it('without --redis nothing changes: no cluster settings, a random secret', () => {
    const c = loadConfig();
    expect(c.redis).toBeUndefined();
    expect(c.workers).toBeNull();
    expect(c.secret.length).toBeGreaterThanOrEqual(32);
  });

  it('--workers alone means one per core; --workers N; bad values and bus limits over 4 MiB are refused', () => {
    expect(loadConfig({}, {}, ['--workers']).workers).toBeGreaterThanOrEqual(1);
    expect(loadConfig({}, {}, ['--workers', '3']).workers).toBe(3);
    expect(loadConfig({}, { TILECAST_WORKERS: '2' }).workers).toBe(2);
    expect(() => loadConfig({}, {}, ['--workers', '0'])).toThrow(/workers/);
    expect(() => loadConfig({}, {}, ['--bus-max-message-bytes', String(5 * 1024 * 1024)])).toThrow(
      /busMaxMessageBytes/,
    );
    expect(() => loadConfig({}, {}, ['--node-id', 'bad id!'])).toThrow(/nodeId/);
  });

  it('--workers without redis-server installed stops with a line naming the Debian package', () => {
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'server/main.ts', '--workers', '2', '--port', '18999'],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, TILECAST_REDIS_SERVER: '/nonexistent/redis-server' },
      },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/tilecast: .*install Debian's package 'redis-server'/);
  });
});
