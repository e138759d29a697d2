// Starts a server under test as its own process (so /proc/<pid> figures are its alone) and waits for /healthz.
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_ENTRY, SERVER_NODE_FLAGS, bundleNodeEntry } from '../../server/build';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServerProcess {
  pid: number;
  url: string;
  stop(): Promise<void>;
  /** the last lines the server printed, for error messages */
  log(): string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface StartOptions {
  timeoutMs?: number;
  /** node flags before the script (e.g. --cpu-prof) */
  nodeArgs?: string[];
  /** open-file limit the server needs (10,000 idle viewers need more than a usual 1024): raised through the shell
   * (`ulimit -n`, up to the hard limit) before exec, so the pid stays the server's */
  fdLimit?: number;
}

/**
 * Runs `node <bundle of script> ...args` from the repo root; `--port P` is appended. Every server the bench compares
 * runs as plain JavaScript, and tilecast's with the V8 flags `npm start` gives it (see server/build.ts).
 */
export async function startServerProcess(
  script: string,
  args: string[],
  options: StartOptions = {},
): Promise<ServerProcess> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const bundle = await bundleNodeEntry(script);
  const port = await freePort();
  const flags = script === SERVER_ENTRY ? SERVER_NODE_FLAGS : [];
  const argv = [...flags, ...(options.nodeArgs ?? []), bundle, ...args, '--port', String(port)];
  const [command, commandArgs] = options.fdLimit ? withFdLimit(options.fdLimit, argv) : [process.execPath, argv];
  const child: ChildProcess = spawn(command, commandArgs, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn', NODE_ENV: 'production' },
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const url = `http://127.0.0.1:${port}`;
  const log = () => lines.join('\n');
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exit;
    clearTimeout(timer);
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${script} exited before it was ready:\n${log()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return { pid: child.pid!, url, stop, log };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  await stop();
  throw new Error(`${script} did not answer ${url}/healthz within ${timeoutMs} ms:\n${log()}`);
}

/** `sh -c 'ulimit -n N || ulimit -n <hard>; exec node ...'`: the limit is per process, so the shell raises it for the
 * child alone; exec keeps the pid. */
export function withFdLimit(limit: number, nodeArgv: string[]): [string, string[]] {
  const script = `ulimit -n ${Math.floor(limit)} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$0" "$@"`;
  return ['/bin/sh', ['-c', script, process.execPath, ...nodeArgv]];
}
