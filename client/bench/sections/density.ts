// Idle density: N connected idle viewers spread over rooms, RSS per viewer on each server. tilecast next to raw
// uWS and raw ws servers holding the same sockets, so the figure shows what tilecast adds to the engine's own cost.
// Every room has a presenter that sent its geometry and one full picture and then stays still (a static screen):
// each viewer holds its real per-viewer state (grid, queues), not that of an empty room.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Content } from '../../loadtest/content';
import { RateSource } from '../../loadtest/frame-source';
import { Presenter } from '../../loadtest/presenter';
import { PROTOCOLS } from '../../loadtest/protocols';
import { readProc } from '../../loadtest/proc-stats';
import { REPO_ROOT, startServerProcess, withFdLimit } from '../../loadtest/server-process';
import { SERVERS, type ServerName } from '../servers';

export interface DensityRow {
  server: ServerName;
  viewers: number;
  connected: number;
  rooms: number;
  rssBeforeMB: number;
  rssAfterMB: number;
  rssPerViewerKB: number | null;
  openFds: number | null;
  error: string | null;
}

const DENSITY_SERVERS: ServerName[] = ['tilecast-uws', 'tilecast-ws', 'uws-publish', 'ws-broadcast'];
const VIEWERS_PER_ROOM = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MB = 2 ** 20;
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;

export const countFds = (pid: number): number | null => {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
};

/** Waits until the server is idle (every joiner's first picture delivered): < 50 ms of CPU in a second, 30 s at most. */
async function settle(pid: number): Promise<void> {
  let last = readProc(pid)?.cpuSeconds ?? 0;
  for (let i = 0; i < 30; i++) {
    await sleep(1000);
    const now = readProc(pid)?.cpuSeconds ?? last;
    if (now - last < 0.05) return;
    last = now;
  }
}

/** Spawns the idle-clients process (with its own raised fd limit); resolves with it once every viewer settled. */
function holdViewers(
  protocol: string,
  count: number,
  urls: string[],
): Promise<{ ready: number; failed: number; lastError: string; release(): void }> {
  const [cmd, args] = withFdLimit(count + 1000, [
    '--import',
    'tsx',
    'client/bench/sections/idle-clients.ts',
    protocol,
    String(count),
    ...urls,
  ]);
  const child = spawn(cmd, args, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const r = JSON.parse(line) as { ready: number; failed: number; lastError: string };
      resolve({ ...r, release: () => child.stdin.end() });
    });
    child.once('exit', (code) =>
      reject(new Error(`idle clients exited ${code}: ${stderr.trim().split('\n').slice(-2).join(' | ')}`)),
    );
  });
}

export async function benchDensity(opts: {
  viewers: number;
  content: Content;
  servers?: ServerName[];
  log(line: string): void;
}): Promise<DensityRow[]> {
  const rows: DensityRow[] = [];
  const rooms = Math.max(1, Math.round(opts.viewers / VIEWERS_PER_ROOM));
  for (const name of opts.servers ?? DENSITY_SERVERS) {
    const server = SERVERS[name];
    const row: DensityRow = {
      server: name,
      viewers: opts.viewers,
      connected: 0,
      rooms,
      rssBeforeMB: 0,
      rssAfterMB: 0,
      rssPerViewerKB: null,
      openFds: null,
      error: null,
    };
    const proc = await startServerProcess(server.script, server.args, { fdLimit: opts.viewers + 1000 });
    const presenters: Presenter[] = [];
    try {
      const protocol = PROTOCOLS[server.protocol];
      const urls: string[] = [];
      for (let r = 0; r < rooms; r++) {
        const room = await protocol.createRoom(proc.url, r);
        const p = new Presenter(
          room,
          protocol,
          opts.content,
          new RateSource(opts.content, 1, r),
          1,
          (k, m) => (row.error ??= `${k}: ${m}`),
        );
        presenters.push(p);
        await p.connect(); // geometry and a full picture, then nothing
        urls.push(room.viewerUrl);
      }
      await sleep(1000);
      const before = readProc(proc.pid)!;
      const held = await holdViewers(server.protocol, opts.viewers, urls);
      try {
        await settle(proc.pid);
        const after = readProc(proc.pid)!;
        row.connected = held.ready;
        row.rssBeforeMB = round(before.rssBytes / MB);
        row.rssAfterMB = round(after.rssBytes / MB);
        row.rssPerViewerKB = held.ready ? round((after.rssBytes - before.rssBytes) / held.ready / 1024) : null;
        row.openFds = countFds(proc.pid);
        if (held.failed) row.error = `${held.failed} viewers failed to connect: ${held.lastError}`;
      } finally {
        held.release();
      }
    } catch (err) {
      row.error = (err as Error).message;
    } finally {
      for (const p of presenters) p.close();
      await proc.stop();
    }
    opts.log(
      `density ${name}: ${row.connected}/${row.viewers} idle viewers, ${row.rssPerViewerKB ?? '-'} KB RSS each${row.error ? ` (${row.error})` : ''}`,
    );
    rows.push(row);
  }
  return rows;
}
