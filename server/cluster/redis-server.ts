// A private redis-server on a Unix socket (for --workers without --redis, and for tests): persistence off,
// started and stopped with its owner. Missing binary -> one clear line naming the Debian package.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../config';

export interface PrivateRedis {
  /** unix:/path/to/socket */
  url: string;
  socket: string;
  /** the shell that owns redis-server */
  child: ChildProcess;
  /** kills redis-server at once (fault tests): SIGKILL */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

export function findRedisServer(): string {
  // TILECAST_REDIS_SERVER names the binary to use (and only that one) when it is not where Debian puts it.
  const given = process.env.TILECAST_REDIS_SERVER;
  const candidates = given
    ? [given]
    : ['/usr/bin/redis-server', '/usr/local/bin/redis-server', '/usr/sbin/redis-server'];
  const found = candidates.find((c) => existsSync(c));
  if (!found)
    throw new ConfigError(
      "--workers without --redis starts a private redis-server, but none is installed: install Debian's package 'redis-server' (sudo apt-get install redis-server) or pass --redis URL",
    );
  return found;
}

/** Starts redis-server on a Unix socket in `dir` (a new temp dir by default); resolves once it accepts connections. */
export async function startPrivateRedis(dir?: string, extraArgs: string[] = []): Promise<PrivateRedis> {
  const binary = findRedisServer();
  const ownDir = !dir;
  const where = dir ?? (await mkdtemp(path.join(tmpdir(), 'tilecast-redis-')));
  const socket = path.join(where, 'redis.sock');
  // Through a small shell that stops redis-server when our end of its stdin closes: even when this process
  // is killed with SIGKILL, the private Redis does not outlive it.
  const child = spawn(
    '/bin/sh',
    [
      '-c',
      '"$0" "$@" & pid=$!; read _; kill $pid 2>/dev/null; wait $pid',
      binary,
      '--port',
      '0',
      '--unixsocket',
      socket,
      '--unixsocketperm',
      '700',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      where,
      ...extraArgs,
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const output: string[] = [];
  child.stdout!.on('data', (d) => output.push(String(d)));
  child.stderr!.on('data', (d) => output.push(String(d)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output.join('')}`)), 10_000);
    const poll = setInterval(() => {
      if (/ready to accept connections/i.test(output.join(''))) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve();
      }
    }, 10);
    child.once('exit', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${output.join('')}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    url: `unix:${socket}`,
    socket,
    child,
    async crash() {
      const exited = new Promise((r) => child.once('exit', r));
      const pkill = spawn('/usr/bin/pkill', ['-KILL', '-P', String(child.pid)]);
      await new Promise((r) => pkill.once('exit', r));
      child.stdin!.end(); // the shell waits on its stdin before it exits
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.stdin!.end();
        await exited;
      }
      if (ownDir) await rm(where, { recursive: true, force: true });
    },
  };
}
