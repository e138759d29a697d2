// Cluster bench: added latency of one bus hop (viewers on a replica node minus viewers on the origin, same run),
// CPU per delivered GB on the replica and Redis CPU per relayed GB next to the origin's, and resync times after a
// Redis restart and after a node kill. Real processes: a private redis-server and node processes (uWS).
// Alone: `npx tsx client/bench/cluster.ts [--seconds 10] [--viewers 50]`.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { SERVER_ENTRY, bundleNodeEntry } from '../../server/build';
import { type PrivateRedis, startPrivateRedis } from '../../server/cluster/redis-server';
import { FrameFlag, MessageType, decodeMessage, encodeFrame, encodeGeometry } from '../../shared/protocol';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const SECRET = 'bench-cluster-secret-of-at-least-32-bytes!';
const GEOMETRY = { width: 1280, height: 720, tileSize: 64 }; // 20 x 12
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Node {
  child: ChildProcess;
  port: number;
  url: string;
}

async function node(redisUrl: string, id: string): Promise<Node> {
  const child = spawn(
    process.execPath,
    [await bundleNodeEntry(SERVER_ENTRY), '--port', '0', '--engine', 'uws', '--redis', redisUrl, '--node-id', id],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, TILECAST_SECRET: SECRET, TILECAST_LOG_LEVEL: 'info' },
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`node ${id} exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('"listening"')) resolve(JSON.parse(line).url);
    });
  });
  return { child, url, port: Number(new URL(url).port) };
}

async function kill(n: Node | { child: ChildProcess }, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (n.child.exitCode !== null || n.child.signalCode !== null) return;
  const exited = new Promise((r) => n.child.once('exit', r));
  n.child.kill(signal);
  await exited;
}

/** user + system CPU seconds of a process so far */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length
    ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] * 100) / 100
    : Number.NaN;
}

/** A viewer that notes when each sync arrives and counts bytes. */
class Viewer {
  readonly ws: WebSocket;
  readonly arrivals = new Map<number, number>();
  bytes = 0;
  tiles = new Set<string>();
  lastSeq = 0;
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('error', () => {});
    this.ws.on('message', (data: Buffer, binary: boolean) => {
      if (!binary) return;
      this.bytes += data.byteLength;
      const m = decodeMessage(new Uint8Array(data));
      if (m.type === MessageType.Frame) for (const t of m.tiles) this.tiles.add(`${t.col},${t.row}`);
      if (m.type === MessageType.Tile) this.tiles.add(`${m.col},${m.row}`);
      const seq =
        m.type === MessageType.Sync
          ? m.seq
          : m.type === MessageType.Frame && m.flags & FrameFlag.EndsWithSync
            ? m.seq
            : -1;
      if (seq >= 0) {
        this.lastSeq = seq;
        if (!this.arrivals.has(seq)) this.arrivals.set(seq, performance.now());
      }
    });
  }
  opened(): Promise<void> {
    return new Promise((r) => this.ws.once('open', () => r()));
  }
}

async function createRoom(url: string): Promise<{ id: string; presenterToken: string }> {
  return (
    await fetch(`${url}/api/rooms`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  ).json() as never;
}

function frame(seq: number, tiles: number, bytes: number) {
  return encodeFrame(
    seq,
    Date.now(),
    Array.from({ length: tiles }, (_, i) => {
      const cell = (seq * 7 + i) % 240;
      return {
        col: cell % 20,
        row: Math.floor(cell / 20),
        codec: 'jpeg' as const,
        payload: new Uint8Array(bytes).fill(seq & 0xff),
      };
    }),
  );
}

function descendants(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = execFileSync('/usr/bin/pgrep', ['-P', String(pid)])
      .toString()
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    /* none */
  }
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

/** `--workers n` on one port at the same offered load: viewers' latency and the CPU of all its processes. */
async function workersRun(n: number, viewers: number, seconds: number) {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const primary = spawn(
    process.execPath,
    [await bundleNodeEntry(SERVER_ENTRY), '--workers', String(n), '--port', String(port), '--engine', 'uws'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'ignore'], env: { ...process.env, TILECAST_LOG_LEVEL: 'warn' } },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      const res = await fetch(`${url}/api/cluster`).catch(() => null);
      if (res?.ok && ((await res.json()) as { nodes: unknown[] }).nodes.length === n) break;
      if (i > 600) throw new Error(`--workers ${n} did not come up`);
      await sleep(50);
    }
    const room = await createRoom(url);
    const presenter = new WebSocket(`ws://127.0.0.1:${port}/ws/present/${room.id}?token=${room.presenterToken}`);
    await new Promise((r) => presenter.once('open', r));
    presenter.send(encodeGeometry(GEOMETRY));
    const vs = Array.from({ length: viewers }, () => new Viewer(`ws://127.0.0.1:${port}/ws/view/${room.id}`));
    await Promise.all(vs.map((v) => v.opened()));
    await sleep(1000);
    const pids = descendants(primary.pid!);
    const cpu0 = pids.reduce((a, p) => a + cpuSeconds(p), 0);
    const sent = new Map<number, number>();
    const end = performance.now() + seconds * 1000;
    for (let seq = 1; performance.now() < end; seq++) {
      sent.set(seq, performance.now());
      presenter.send(frame(seq, 20, 2048));
      await sleep(33);
    }
    await sleep(500);
    const cpu = pids.reduce((a, p) => a + cpuSeconds(p), 0) - cpu0;
    const xs: number[] = [];
    for (const v of vs) for (const [s, at] of sent) if (v.arrivals.has(s)) xs.push(v.arrivals.get(s)! - at);
    xs.sort((a, b) => a - b);
    for (const v of vs) v.ws.terminate();
    presenter.terminate();
    return {
      workers: n,
      viewers,
      p50Ms: percentile(xs, 0.5),
      p99Ms: percentile(xs, 0.99),
      delivered: xs.length,
      expected: viewers * sent.size,
      cpuSeconds: Math.round(cpu * 100) / 100,
    };
  } finally {
    await kill({ child: primary });
  }
}

export async function benchCluster(
  options: { seconds?: number; viewers?: number; trials?: number; log?: (line: string) => void } = {},
) {
  const say = options.log ?? ((line: string) => console.error(line));
  const seconds = options.seconds ?? 10;
  const perNode = options.viewers ?? 50;
  const trials = options.trials ?? 5;
  const dir = await mkdtemp(path.join(tmpdir(), 'tilecast-bench-cluster-'));
  let redis: PrivateRedis = await startPrivateRedis(dir);
  const redisPid = () =>
    Number(
      execFileSync('/usr/bin/pgrep', ['-P', String(redis.child.pid)])
        .toString()
        .trim()
        .split('\n')[0],
    );
  const A = await node(redis.url, 'origin');
  const B = await node(redis.url, 'replica');
  const extra: Node[] = [];
  try {
    say(`cluster bench: origin + replica node, ${perNode} viewers on each, 30 fps x 20 tiles x 2 KB, ${seconds} s`);
    const room = await createRoom(A.url);
    const presenter = new WebSocket(`ws://127.0.0.1:${A.port}/ws/present/${room.id}?token=${room.presenterToken}`);
    await new Promise((r) => presenter.once('open', r));
    presenter.send(encodeGeometry(GEOMETRY));
    const onA = Array.from({ length: perNode }, () => new Viewer(`ws://127.0.0.1:${A.port}/ws/view/${room.id}`));
    const onB = Array.from({ length: perNode }, () => new Viewer(`ws://127.0.0.1:${B.port}/ws/view/${room.id}`));
    await Promise.all([...onA, ...onB].map((v) => v.opened()));
    await sleep(1000);
    const sent = new Map<number, number>();
    const cpu0 = { a: cpuSeconds(A.child.pid!), b: cpuSeconds(B.child.pid!), r: cpuSeconds(redisPid()) };
    const bytes0 = { a: onA.reduce((s, v) => s + v.bytes, 0), b: onB.reduce((s, v) => s + v.bytes, 0) };
    let seq = 1;
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      sent.set(seq, performance.now());
      presenter.send(frame(seq++, 20, 2048));
      await sleep(33);
    }
    await sleep(500);
    const cpu1 = { a: cpuSeconds(A.child.pid!), b: cpuSeconds(B.child.pid!), r: cpuSeconds(redisPid()) };
    const gb = {
      a: (onA.reduce((s, v) => s + v.bytes, 0) - bytes0.a) / 1e9,
      b: (onB.reduce((s, v) => s + v.bytes, 0) - bytes0.b) / 1e9,
    };
    const lat = (vs: Viewer[]) => {
      const xs: number[] = [];
      for (const v of vs) for (const [s, at] of sent) if (v.arrivals.has(s)) xs.push(v.arrivals.get(s)! - at);
      return xs.sort((x, y) => x - y);
    };
    const la = lat(onA);
    const lb = lat(onB);
    const metrics = await (await fetch(`${A.url}/metrics`)).text();
    const relayedGB = Number(/tilecast_bus_bytes_published_total(?:\{[^}]*\})? (\d+)/.exec(metrics)?.[1]) / 1e9;
    const hop = {
      originMs: { p50: percentile(la, 0.5), p99: percentile(la, 0.99) },
      replicaMs: { p50: percentile(lb, 0.5), p99: percentile(lb, 0.99) },
      addedMs: {
        p50: Math.round((percentile(lb, 0.5) - percentile(la, 0.5)) * 100) / 100,
        p99: Math.round((percentile(lb, 0.99) - percentile(la, 0.99)) * 100) / 100,
      },
      samples: { origin: la.length, replica: lb.length, expected: perNode * sent.size },
    };
    const cpu = {
      originCpuSecondsPerGB: Math.round(((cpu1.a - cpu0.a) / gb.a) * 100) / 100,
      replicaCpuSecondsPerGB: Math.round(((cpu1.b - cpu0.b) / gb.b) * 100) / 100,
      redisCpuSecondsPerRelayedGB: Math.round(((cpu1.r - cpu0.r) / relayedGB) * 100) / 100,
      deliveredGB: { origin: Math.round(gb.a * 1000) / 1000, replica: Math.round(gb.b * 1000) / 1000 },
      relayedGB: Math.round(relayedGB * 1000) / 1000,
    };
    say(
      `  per hop: origin viewers p50 ${hop.originMs.p50} / p99 ${hop.originMs.p99} ms, replica viewers p50 ${hop.replicaMs.p50} / p99 ${hop.replicaMs.p99} ms -> added p50 ${hop.addedMs.p50} / p99 ${hop.addedMs.p99} ms`,
    );
    say(
      `  CPU-s per delivered GB: origin ${cpu.originCpuSecondsPerGB} (ingest + publish + fan-out), replica ${cpu.replicaCpuSecondsPerGB}; Redis ${cpu.redisCpuSecondsPerRelayedGB} CPU-s per relayed GB`,
    );
    for (const v of [...onA, ...onB]) v.ws.terminate();

    // Resync after a Redis restart: from redis-server ready to a replica viewer holding a frame sent after it.
    const probe = new Viewer(`ws://127.0.0.1:${B.port}/ws/view/${room.id}`);
    await probe.opened();
    const redisRestart: number[] = [];
    for (let t = 0; t < trials; t++) {
      await redis.crash();
      await sleep(300);
      redis = await startPrivateRedis(dir);
      const back = performance.now();
      const target = seq;
      for (;;) {
        presenter.send(frame(seq++, 4, 2048));
        await sleep(10);
        if (probe.lastSeq >= target) break;
        if (performance.now() - back > 15_000) throw new Error('replica did not resync within 15 s');
      }
      redisRestart.push(performance.now() - back);
    }
    /** Waits for `ok`, sending frames meanwhile (a replica only moves with the stream); bounded, never hangs. */
    const until = async (what: string, ok: () => boolean, stepMs = 10) => {
      const start = performance.now();
      while (!ok()) {
        if (performance.now() - start > 15_000) throw new Error(`timed out waiting for ${what}`);
        presenter.send(frame(seq++, 4, 2048));
        await sleep(stepMs);
      }
    };
    // Resync after a node kill: a viewer of a killed node reconnects to another and has the full picture again.
    const nodeKill: number[] = [];
    for (let t = 0; t < Math.min(trials, 3); t++) {
      const C = await node(redis.url, `victim-${t}`);
      extra.push(C);
      const onC = new Viewer(`ws://127.0.0.1:${C.port}/ws/view/${room.id}`);
      await onC.opened();
      const target = seq - 1;
      await until('the new node to serve the room', () => onC.lastSeq >= target);
      const full = onC.tiles.size;
      await kill(C, 'SIGKILL');
      const killed = performance.now();
      const again = new Viewer(`ws://127.0.0.1:${B.port}/ws/view/${room.id}`);
      await again.opened();
      await until('the reconnected viewer to hold the full picture', () => again.tiles.size >= full, 2);
      nodeKill.push(performance.now() - killed);
      again.ws.terminate();
    }
    const stats = (xs: number[]) => {
      const s = [...xs].sort((x, y) => x - y);
      return { p50: Math.round(percentile(s, 0.5)), p99: Math.round(percentile(s, 0.99)), trials: s.length };
    };
    const resync = { afterRedisRestartMs: stats(redisRestart), afterNodeKillMs: stats(nodeKill) };
    say(
      `  resync after a Redis restart p50 ${resync.afterRedisRestartMs.p50} / p99 ${resync.afterRedisRestartMs.p99} ms; full picture after a node kill p50 ${resync.afterNodeKillMs.p50} / p99 ${resync.afterNodeKillMs.p99} ms`,
    );
    presenter.send(JSON.stringify({ type: 'end' }));
    const workers = [];
    for (const n of [1, 2]) {
      const w = await workersRun(n, perNode * 2, seconds);
      say(
        `  --workers ${n}: ${w.viewers} viewers, latency p50 ${w.p50Ms} / p99 ${w.p99Ms} ms, ${w.delivered}/${w.expected} syncs, ${w.cpuSeconds} CPU-s (all its processes)`,
      );
      workers.push(w);
    }
    return {
      hop,
      cpu,
      resync,
      workers,
      notes: 'loopback, one machine: the load generator, Redis and both nodes share its cores',
    };
  } finally {
    for (const n of [A, B, ...extra]) await kill(n);
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const result = await benchCluster({ seconds: arg('seconds'), viewers: arg('viewers'), trials: arg('trials') });
  console.log(JSON.stringify(result, null, 2));
}
