// A tilecast server in its own node process, for tests that measure the server alone (RSS) or run it under
// kernel limits (RLIMIT_FSIZE via `ulimit -f`, so recording writes fail for real with EFBIG).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export interface ChildServer {
  child: ChildProcess;
  url: string;
  port: number;
  /** resident set size of the server process, bytes */
  rss(): number;
  stop(): Promise<void>;
}

export async function startChildServer(
  args: string[],
  options: { fileSizeLimitKiB?: number } = {},
): Promise<ChildServer> {
  const node = [process.execPath, '--import', 'tsx', 'server/main.ts', '--port', '0', ...args];
  const quoted = node.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // `exec` keeps the pid: signals and /proc/<pid> are the server's own.
  const child = options.fileSizeLimitKiB
    ? spawn('bash', ['-c', `ulimit -f ${options.fileSizeLimitKiB} && exec ${quoted}`], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TILECAST_LOG_LEVEL: 'info' },
      })
    : spawn(node[0], node.slice(1), {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TILECAST_LOG_LEVEL: 'info' },
      });
  const stderr: string[] = [];
  // main.ts announces itself on stderr whatever the log level.
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr.join('')}`)), 30_000);
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr.join('')}`)));
    child.stderr!.on('data', (d) => {
      stderr.push(String(d));
      const m = /serving http:\/\/[^:\s]+:(\d+)/.exec(stderr.join(''));
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    });
  });
  child.stdout!.resume(); // logs are not read here: keep the pipe from filling
  return {
    child,
    url,
    port: Number(new URL(url).port),
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
