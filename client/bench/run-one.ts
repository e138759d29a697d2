// One bench run: start the server under test as its own process, run the load test CLI against it as another
// process (so neither's CPU or memory is mixed with the bench's), read its JSON.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { LoadTestReport } from '../loadtest/report';
import { REPO_ROOT, startServerProcess } from '../loadtest/server-process';
import type { BenchServer } from './servers';

export interface LoadArgs {
  rooms: number;
  viewers: number;
  /** tiles per second per presenter */
  rate: number;
  fps: number;
  slow: number;
  slowMode: 'stall' | 'hold';
  stallMs: number;
  readMs: number;
  duration: number;
  warmup: number;
  drain: number;
  late: number;
  tileSize: number;
  generatorWorkers?: number;
}

export interface RunOutcome {
  report: LoadTestReport | null;
  error: string | null;
}

export async function runOne(
  server: BenchServer,
  load: LoadArgs,
  jsonFile: string,
  label: string,
  serverNodeArgs: string[] = [],
): Promise<RunOutcome> {
  let proc: Awaited<ReturnType<typeof startServerProcess>>;
  try {
    proc = await startServerProcess(server.script, server.args, { nodeArgs: serverNodeArgs });
  } catch (err) {
    return { report: null, error: `server did not start: ${(err as Error).message}` };
  }
  try {
    const args = [
      '--import',
      'tsx',
      'client/loadtest/main.ts',
      '--url',
      proc.url,
      '--protocol',
      server.protocol,
      '--server-pid',
      String(proc.pid),
      '--rooms',
      String(load.rooms),
      '--viewers',
      String(load.viewers),
      '--rate',
      String(load.rate),
      '--fps',
      String(load.fps),
      '--slow',
      String(load.slow),
      '--slow-mode',
      load.slowMode,
      '--stall-ms',
      String(Math.max(10, load.stallMs)),
      '--read-ms',
      String(Math.max(10, load.readMs)),
      '--late',
      String(load.late),
      '--duration',
      String(load.duration),
      '--warmup',
      String(load.warmup),
      '--drain',
      String(load.drain),
      '--tile-size',
      String(load.tileSize),
      '--json',
      jsonFile,
      '--label',
      label,
      '--quiet',
      ...(load.generatorWorkers ? ['--generator-workers', String(load.generatorWorkers)] : []),
      ...(server.loadArgs ?? []),
    ];
    const limitMs = (load.warmup + load.duration + load.drain + 90) * 1000;
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
      const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    if (code !== 0 && code !== 1)
      return { report: null, error: `load test exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}` };
    return { report: JSON.parse(readFileSync(jsonFile, 'utf8')) as LoadTestReport, error: null };
  } catch (err) {
    return { report: null, error: (err as Error).message };
  } finally {
    await proc.stop();
  }
}
