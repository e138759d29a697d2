// --workers N: N server processes on one port (uWS binds with SO_REUSEPORT on Linux; ws shares the port through
// node:cluster), each a cluster node, sharing rooms over Redis: the configured one, or a private redis-server
// on a Unix socket that lives and dies with the primary.
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { type Config, ConfigError, parseArgs } from '../config';
import { type PrivateRedis, startPrivateRedis } from './redis-server';

/** Flags the primary decides for its workers (they get them through the environment instead). */
const OWN = new Set(['workers', 'nodeId', 'redis', 'secret']);

function workerArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(parseArgs(argv))) {
    if (OWN.has(name)) continue;
    out.push(`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, String(value));
  }
  return out;
}

export async function runPrimary(config: Config, argv: readonly string[], say: (line: string) => void): Promise<void> {
  const n = config.workers!;
  if (config.port === 0)
    throw new ConfigError('invalid configuration: --workers needs a fixed --port (every worker listens on it)');
  let redis: PrivateRedis | null = null;
  if (!config.redis) redis = await startPrivateRedis();
  const env: Record<string, string> = {
    TILECAST_REDIS_URL: config.redis ?? redis!.url,
    // Tokens must verify in every worker: one secret for all (a random one lives as long as this primary).
    TILECAST_SECRET: config.secret ?? randomBytes(32).toString('base64url'),
  };
  cluster.setupPrimary({ exec: process.argv[1], args: workerArgs(argv) });
  let stopping = false;
  const fork = (i: number) => {
    const worker = cluster.fork({ ...env, TILECAST_NODE_ID: `${config.nodeId}-w${i}`, TILECAST_WORKER: '1' });
    worker.on('exit', (code, signal) => {
      if (stopping) return;
      say(`worker ${i} exited (${signal ?? code}); starting it again`);
      setTimeout(() => fork(i), 500).unref();
    });
  };
  for (let i = 1; i <= n; i++) fork(i);
  say(
    `${n} workers on port ${config.port} (${config.engine}), rooms shared over ${redis ? `a private redis-server at ${redis.socket}` : config.redis}`,
  );
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const exits = Object.values(cluster.workers ?? {}).map(
      (w) => new Promise((r) => (w!.isDead() ? r(null) : w!.once('exit', r))),
    );
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
    await Promise.all(exits);
    await redis?.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

export const isWorker = () => cluster.isWorker && process.env.TILECAST_WORKER === '1';
