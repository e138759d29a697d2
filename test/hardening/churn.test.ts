// Viewer churn: hundreds of connects and disconnects a second (clean closes, resets, half-open handshakes) for
// 20 s against the real server process; afterwards viewer counts, file descriptors, heap and RSS are back near
// where they started, and another room kept receiving frames throughout.
import WebSocket from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { Bystander } from '../helpers/bystander';
import { RawSocket, handshake } from '../helpers/raw-socket';
import { ENGINES, createRoom, sleep } from '../helpers/server';
import { type ServerProcess, killAll, openFds, rssOfMiB, startServerProcess } from '../helpers/server-process';

const SECONDS = 20;
const PER_TICK = 30; // every 100 ms: ~300 connects a second
const running: ServerProcess[] = [];
afterAll(() => killAll(running));

async function heapUsedMiB(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^tilecast_nodejs_heap_size_used_bytes (\S+)$/m.exec(text)![1]) / 1024 / 1024;
}

const viewersOf = async (url: string, id: string) =>
  ((await (await fetch(`${url}/api/rooms/${id}`)).json()) as { viewers: number }).viewers;

/** waits (up to 5 s) for the room to have no viewers, then a little more for closes to finish; returns the count */
async function settled(url: string, id: string): Promise<number> {
  let viewers = -1;
  for (let i = 0; i < 50 && viewers !== 0; i++) {
    await sleep(100);
    viewers = await viewersOf(url, id);
  }
  await sleep(1500);
  return viewers;
}

/** one short-lived viewer, ended one of three ways */
function churnOne(port: number, room: string, kind: number, stats: { opened: number; failed: number }): void {
  if (kind === 0) {
    // handshake sent, connection dropped before the answer
    void RawSocket.open(port, handshake(port, `/ws/view/${room}`)).then(
      (r) => setTimeout(() => r.destroy(), 5),
      () => stats.failed++,
    );
    return;
  }
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/view/${room}`);
  ws.on('error', () => {});
  ws.on('unexpected-response', () => stats.failed++);
  ws.on('open', () => {
    stats.opened++;
    setTimeout(() => (kind === 1 ? ws.close(1000) : ws.terminate()), Math.random() * 300);
  });
}

describe.each(ENGINES)('viewer churn on %s', (engine) => {
  it(`~${PER_TICK * 10} viewer connects/disconnects a second for ${SECONDS} s leave nothing behind`, async () => {
    const server = await startServerProcess(['--engine', engine]);
    running.push(server);
    const pid = server.child.pid!;
    const bystander = await Bystander.start(server);
    const room = await createRoom(server);
    const stats = { opened: 0, failed: 0 };
    // warm-up: pools, JIT and buffers reach their working size before the baseline is taken
    for (let i = 0; i < 10; i++) {
      for (let j = 0; j < PER_TICK; j++) churnOne(server.port, room.id, j % 3, stats);
      await sleep(100);
    }
    await settled(server.url, room.id);
    const base = { fds: openFds(pid), rss: rssOfMiB(pid), heap: await heapUsedMiB(server.url) };

    bystander.mark();
    const until = Date.now() + SECONDS * 1000;
    let ticks = 0;
    while (Date.now() < until) {
      for (let j = 0; j < PER_TICK; j++) churnOne(server.port, room.id, (ticks + j) % 3, stats);
      ticks++;
      await sleep(100);
    }
    const gap = bystander.maxGapMs();
    // settle: the last viewers close, then counts must return to the baseline
    const viewers = await settled(server.url, room.id);
    const after = { fds: openFds(pid), rss: rssOfMiB(pid), heap: await heapUsedMiB(server.url) };
    console.log(
      `churn ${engine}: ${stats.opened} viewers opened in ${SECONDS} s (${stats.failed} refused), bystander max gap ${gap} ms`,
      { base, after },
    );

    expect(viewers).toBe(0);
    expect(stats.opened).toBeGreaterThan(SECONDS * PER_TICK * 10 * 0.4); // two in three are real viewers
    expect(stats.failed).toBe(0);
    expect(after.fds).toBeLessThanOrEqual(base.fds + 3);
    expect(after.heap - base.heap).toBeLessThan(20);
    expect(after.rss - base.rss).toBeLessThan(60);
    expect(gap).toBeLessThan(1000);
    await bystander.expectHealthy(1000);
    await bystander.stop();
    server.child.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  }, 90_000);
});
