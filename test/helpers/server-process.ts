// Runs the real server in a child process, as `npm start` does (the bundle of server/main.ts, see server/build.ts):
// for signals, exit codes and per-process counts (file descriptors, RSS) that an in-process server would mix with
// the test's own.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { SERVER_ENTRY, SERVER_NODE_FLAGS, bundleNodeEntry } from '../../server/build';

const ROOT = path.resolve(__dirname, '../..');

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  port: number;
  /** JSON log lines seen so far */
  logs: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ServerProcessOptions {
  env?: NodeJS.ProcessEnv;
  /** RLIMIT_FSIZE for the server (`ulimit -f`): its file writes fail for real with EFBIG past it */
  fileSizeLimitKiB?: number;
}

export async function startServerProcess(
  flags: string[],
  { env = {}, fileSizeLimitKiB }: ServerProcessOptions = {},
): Promise<ServerProcess> {
  const node = [process.execPath, ...SERVER_NODE_FLAGS, await bundleNodeEntry(SERVER_ENTRY), '--port', '0', ...flags];
  const quoted = node.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const options = {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TILECAST_LOG_LEVEL: 'info', ...env },
  };
  // `exec` keeps the pid: signals and /proc/<pid> are the server's own.
  const child =
    fileSizeLimitKiB === undefined
      ? spawn(node[0], node.slice(1), options)
      : spawn('bash', ['-c', `ulimit -f ${fileSizeLimitKiB} && exec ${quoted}`], options);
  const stderr: string[] = [];
  const logs: Record<string, unknown>[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr.join('')}`)), 30_000);
    const started = (url: string) => {
      clearTimeout(timer);
      resolve(url);
    };
    void exited.then(({ code }) => reject(new Error(`server exited with ${code}: ${stderr.join('')}`)));
    // main.ts announces itself on stderr whatever the log level; the JSON log says `listening` at info level.
    child.stderr!.on('data', (d) => {
      stderr.push(String(d));
      const m = /serving http:\/\/[^:\s]+:(\d+)/.exec(stderr.join(''));
      if (m) started(`http://127.0.0.1:${m[1]}`);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const entry = JSON.parse(line) as Record<string, unknown>;
        logs.push(entry);
        if (entry.msg === 'listening') started(String(entry.url));
      } catch {
        /* not a log line */
      }
    });
  });
  return { child, url, port: Number(new URL(url).port), logs, exited };
}

/** Kills the server (SIGKILL) and waits for it to be gone. */
export async function stopServerProcess(server: ServerProcess | undefined): Promise<void> {
  if (!server || server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGKILL');
  await server.exited;
}

/** open file descriptors of a process (Linux) */
export const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

/** resident set size of a process in MiB (Linux) */
export function rssOfMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

export function killAll(processes: ServerProcess[]): void {
  for (const p of processes) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
}
