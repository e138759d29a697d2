// Churn: viewers connect and disconnect at a steady rate (500/s) against a live room; afterwards the server's viewer
// count, open file descriptors and heap must be back at their baseline. A leak per connection shows here first.
import type { Content } from '../../loadtest/content';
import { RateSource } from '../../loadtest/frame-source';
import { Presenter } from '../../loadtest/presenter';
import { PROTOCOLS } from '../../loadtest/protocols';
import { readProc } from '../../loadtest/proc-stats';
import { RawWebSocket } from '../../loadtest/raw-websocket';
import { startServerProcess } from '../../loadtest/server-process';
import { SERVERS, type ServerName } from '../servers';
import { countFds } from './density';
import { collectGarbage, inspectorUrl } from './inspector';

export interface ChurnFigures {
  viewers: number | null;
  fds: number | null;
  heapUsedMB: number | null;
  rssMB: number | null;
}

export interface ChurnRow {
  server: ServerName;
  seconds: number;
  connectsPerSecond: number;
  connected: number;
  failed: number;
  /** connects per second reached (opened viewers over the churn's length) */
  achievedPerSecond: number;
  before: ChurnFigures;
  after: ChurnFigures;
  /** viewers and fds exactly back, heap within HEAP_SLACK of the baseline */
  backAtBaseline: boolean;
  error: string | null;
}

/** Heap is read after a forced full GC (through the inspector); this much above the baseline still counts as back
 * (pools, JIT code and caches that settle after the first thousands of connections). */
export const HEAP_SLACK = { mb: 2, share: 0.1 };
const TICK_MS = 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number) => Math.round(n * 10) / 10;

async function figures(url: string, pid: number): Promise<ChurnFigures> {
  const text = await fetch(`${url}/metrics`)
    .then((r) => r.text())
    .catch(() => '');
  const metric = (name: string) => {
    const m = new RegExp(`^${name} (\\S+)`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  const heap = metric('tilecast_nodejs_heap_size_used_bytes');
  const proc = readProc(pid);
  return {
    viewers: metric('tilecast_viewers'),
    fds: countFds(pid),
    heapUsedMB: heap === null ? null : round(heap / 2 ** 20),
    rssMB: proc ? round(proc.rssBytes / 2 ** 20) : null,
  };
}

/** Figures after a forced full GC (twice: the first may only finalize what the second frees). */
async function settled(url: string, pid: number, inspector: string): Promise<ChurnFigures> {
  await collectGarbage(inspector);
  await collectGarbage(inspector);
  return figures(url, pid);
}

/** Opens viewers at `perSecond`; each leaves after 0.2-0.8 s, one in five by dropping TCP without a close frame. */
async function churn(
  viewerUrl: string,
  protocolName: 'tilecast',
  seconds: number,
  perSecond: number,
): Promise<{ connected: number; failed: number }> {
  const protocol = PROTOCOLS[protocolName];
  let connected = 0;
  let failed = 0;
  let live = 0;
  let started = 0;
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    // paced by the clock, not by the tick count: late timers under load must not lower the rate
    const due = Math.floor(((performance.now() - start) / 1000) * perSecond);
    for (; started < due; started++) {
      live++;
      let opened = false;
      const ws: RawWebSocket = new RawWebSocket(
        { url: viewerUrl },
        {
          open: () => {
            opened = true;
            connected++;
            for (const m of protocol.opened().send) ws.send(m);
            setTimeout(() => (Math.random() < 0.2 ? ws.destroy() : ws.close()), 200 + Math.random() * 600);
          },
          message: () => {},
          closed: () => {
            live--;
            if (!opened) failed++;
          },
        },
      );
    }
    await sleep(TICK_MS);
  }
  const deadline = performance.now() + 10_000;
  while (live > 0 && performance.now() < deadline) await sleep(100);
  return { connected, failed };
}

export async function benchChurn(opts: {
  seconds: number;
  perSecond: number;
  content: Content;
  servers?: ServerName[];
  log(line: string): void;
}): Promise<ChurnRow[]> {
  const rows: ChurnRow[] = [];
  for (const name of opts.servers ?? (['tilecast-uws', 'tilecast-ws'] as ServerName[])) {
    const server = SERVERS[name];
    const proc = await startServerProcess(server.script, server.args, {
      fdLimit: 4 * opts.perSecond + 1000,
      nodeArgs: ['--inspect=127.0.0.1:0'],
    });
    const protocol = PROTOCOLS.tilecast;
    let presenter: Presenter | null = null;
    const row: ChurnRow = {
      server: name,
      seconds: opts.seconds,
      connectsPerSecond: opts.perSecond,
      connected: 0,
      failed: 0,
      achievedPerSecond: 0,
      before: { viewers: null, fds: null, heapUsedMB: null, rssMB: null },
      after: { viewers: null, fds: null, heapUsedMB: null, rssMB: null },
      backAtBaseline: false,
      error: null,
    };
    try {
      const inspector = inspectorUrl(proc.log());
      if (!inspector) throw new Error('the server printed no inspector URL (started with --inspect=127.0.0.1:0)');
      const room = await protocol.createRoom(proc.url, 0);
      // a live room: every joiner gets a full picture, later frames go through the fan-out
      presenter = new Presenter(
        room,
        protocol,
        opts.content,
        new RateSource(opts.content, 10, 0),
        10,
        (k, m) => (row.error ??= `${k}: ${m}`),
      );
      await presenter.connect();
      presenter.start();
      await churn(room.viewerUrl, 'tilecast', 2, opts.perSecond); // warm the pools and the JIT before the baseline
      await sleep(1000);
      row.before = await settled(proc.url, proc.pid, inspector);
      const r = await churn(room.viewerUrl, 'tilecast', opts.seconds, opts.perSecond);
      row.connected = r.connected;
      row.failed = r.failed;
      row.achievedPerSecond = Math.round(r.connected / opts.seconds);
      await sleep(2000);
      row.after = await settled(proc.url, proc.pid, inspector);
      const { before: b, after: a } = row;
      const heapBack =
        a.heapUsedMB !== null &&
        b.heapUsedMB !== null &&
        a.heapUsedMB <= b.heapUsedMB + Math.max(HEAP_SLACK.mb, b.heapUsedMB * HEAP_SLACK.share);
      row.backAtBaseline = a.viewers === b.viewers && a.fds !== null && b.fds !== null && a.fds <= b.fds && heapBack; // fewer fds than before is no leak (the baseline may catch a transient one)
    } catch (err) {
      row.error = (err as Error).message;
    } finally {
      presenter?.close();
      await proc.stop();
    }
    const { before: b, after: a } = row;
    opts.log(
      `churn ${name}: ${row.connected} connects (${row.achievedPerSecond}/s, ${row.failed} failed); viewers ${b.viewers} -> ${a.viewers}, fds ${b.fds} -> ${a.fds}, ` +
        `heap ${b.heapUsedMB} -> ${a.heapUsedMB} MB${row.error ? ` (${row.error})` : ''}`,
    );
    rows.push(row);
  }
  return rows;
}
