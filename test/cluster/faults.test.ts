// Faults: Redis restarted mid-session, a viewer node and an origin node killed with SIGKILL, a node paused long
// enough for Redis to drop its subscription. Real redis-server, real node processes for the kills.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { CloseCode, encodeFrame, encodeGeometry } from '../../shared/protocol';
import { type TestClient, connect } from '../helpers/client';
import { ENGINES, sleep, waitFor } from '../helpers/server';
import {
  type NodeProcess,
  type PrivateRedis,
  createRoomAt,
  killNode,
  pictureOf,
  samePicture,
  spawnNode,
  startNode,
  startPrivateRedis,
  wsAt,
} from './helpers';

const GEOMETRY = { width: 128, height: 128, tileSize: 32 }; // 4 x 4
const frame = (seq: number, size = 50) =>
  encodeFrame(seq, Date.now(), [
    { col: seq % 4, row: (seq >> 2) % 4, codec: 'png', payload: new Uint8Array(size).fill(seq & 0xff) },
  ]);

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});
const children: NodeProcess[] = [];
afterAll(async () => {
  for (const c of children) await killNode(c);
});

describe.each(ENGINES)('Redis restarted mid-session (%s)', (engine) => {
  it('viewers on the origin lose nothing; replica viewers show reconnecting and resync within 2 s of Redis coming back', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tilecast-redis-restart-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    let redis = await startPrivateRedis(dir);
    cleanup.push(() => redis.stop());
    const A = await startNode(redis, 'A', engine);
    const B = await startNode(redis, 'B', engine);
    cleanup.push(
      () => A.close(),
      () => B.close(),
    );
    const room = await createRoomAt(A.url);
    const presenter = await connect(wsAt(A.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    presenter.send(frame(1));
    const onA = await connect(wsAt(A.port, `/ws/view/${room.id}`));
    const onB = await connect(wsAt(B.port, `/ws/view/${room.id}`));
    await onA.waitSync(1);
    await onB.waitSync(1);

    await redis.crash();
    await waitFor('B shows reconnecting', () => onB.lastStatus()?.state === 'reconnecting');
    for (let seq = 2; seq <= 20; seq++) presenter.send(frame(seq));
    await onA.waitSync(20); // the origin's own viewers go on without Redis
    expect(onA.syncs.filter((s) => s >= 2 && s <= 20)).toEqual(Array.from({ length: 19 }, (_, i) => i + 2));
    // Meanwhile: directory requests get a clear 503; a new viewer on B still starts from B's replica.
    const listing = await fetch(`${B.url}/api/rooms`);
    expect(listing.status).toBe(503);
    expect(((await listing.json()) as { error: { code: string } }).error.code).toBe('CLUSTER_UNAVAILABLE');
    expect((await fetch(`${A.url}/api/rooms`, { method: 'POST' })).status).toBe(503);
    const lateOnB = await connect(wsAt(B.port, `/ws/view/${room.id}`));
    await lateOnB.waitSync(1);
    expect(lateOnB.synced.size).toBe(1);

    redis = await startPrivateRedis(dir);
    const back = Date.now();
    await waitFor('B resynced', () => onB.syncs.includes(20) && samePicture(onB.synced, pictureOf(A, room.id)), 2000);
    const resyncMs = Date.now() - back;
    await waitFor('B live again', () => onB.lastStatus()?.state === 'live', 2000);
    console.log(`resync after a Redis restart (${engine}): ${resyncMs} ms`);
    presenter.send(frame(21));
    await onB.waitSync(21);
    expect(onB.closed).toBeNull();
    expect(onA.closed).toBeNull();
    presenter.send(JSON.stringify({ type: 'end' }));
  });
});

describe('nodes killed with SIGKILL', () => {
  let redis: PrivateRedis;
  let A: TilecastServer;
  let B: TilecastServer;

  async function cluster() {
    redis = await startPrivateRedis();
    A = await startNode(redis, 'A', 'uws', { graceSeconds: 20 });
    B = await startNode(redis, 'B', 'ws', { graceSeconds: 20 });
    cleanup.push(
      () => redis.stop(),
      () => A.close(),
      () => B.close(),
    );
  }

  it('a viewer node dies: its viewer reconnects to another node and has the full picture within 5 s', async () => {
    await cluster();
    const C = await spawnNode(redis, 'C', 'uws');
    children.push(C);
    const room = await createRoomAt(A.url);
    const presenter = await connect(wsAt(A.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    for (let seq = 1; seq <= 16; seq++) presenter.send(frame(seq));
    let viewer: TestClient = await connect(wsAt(C.port, `/ws/view/${room.id}`));
    await viewer.waitSync(16);
    await killNode(C);
    const killed = Date.now();
    await viewer.waitClosed();
    viewer = await connect(wsAt(B.port, `/ws/view/${room.id}`)); // what the browser viewer's retry does
    await viewer.waitSync(16, 5000);
    expect(samePicture(viewer.synced, pictureOf(A, room.id))).toBe(true);
    console.log(`viewer back with a full picture ${Date.now() - killed} ms after its node was killed`);
    expect(Date.now() - killed).toBeLessThan(5000);
    // the dead node leaves the directory within 10 s
    await waitFor(
      'C gone',
      () => (A.cluster!.directory.nodes().then((n) => (gone = !n.some((x) => x.id === 'C'))), gone),
      10_000,
    );
    presenter.send(JSON.stringify({ type: 'end' }));
  });
  let gone = false;

  it('the origin node dies: the presenter resumes on another node within grace, viewers stay and keep the picture', async () => {
    await cluster();
    const O = await spawnNode(redis, 'O', 'ws');
    children.push(O);
    const room = await createRoomAt(A.url);
    let presenter = await connect(wsAt(O.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    for (let seq = 1; seq <= 16; seq++) presenter.send(frame(seq));
    const viewers = [
      await connect(wsAt(A.port, `/ws/view/${room.id}`)),
      await connect(wsAt(B.port, `/ws/view/${room.id}`)),
    ];
    for (const v of viewers) await v.waitSync(16);
    await killNode(O);
    const killed = Date.now();
    // The presenter retries (as the browser presenter does) until the directory lets it take the room over.
    for (;;) {
      presenter = await connect(wsAt(B.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
      const welcomed = await waitFor('welcome or close', () => presenter.control[0] ?? presenter.closed, 5000);
      if ('type' in welcomed) break;
      expect((welcomed as { code: number }).code).toBe(CloseCode.PresenterConflict); // the dead origin's heartbeat has not expired yet
      expect(Date.now() - killed).toBeLessThan(12_000);
      await sleep(500);
    }
    presenter.send(encodeGeometry(GEOMETRY));
    presenter.send(frame(17));
    for (const v of viewers) {
      await v.waitSync(17, 5000);
      expect(v.closed).toBeNull();
      expect(v.synced.size).toBe(16); // the picture from before the crash is still there
    }
    console.log(`presenter resumed ${Date.now() - killed} ms after its origin node was killed`);
    presenter.send(JSON.stringify({ type: 'end' }));
    for (const v of viewers) expect((await v.waitClosed()).code).toBe(CloseCode.Normal);
  });
});

describe('a node paused (SIGSTOP) until Redis drops its subscription', () => {
  it('notices, re-subscribes and resyncs its viewers', async () => {
    // A small pub/sub output buffer (still above one keyframe) so Redis drops the paused node quickly.
    const redis = await startPrivateRedis(undefined, ['--client-output-buffer-limit', 'pubsub 2mb 0 0']);
    cleanup.push(() => redis.stop());
    const A = await startNode(redis, 'A', 'uws');
    cleanup.push(() => A.close());
    const S = await spawnNode(redis, 'S', 'uws');
    children.push(S);
    const room = await createRoomAt(A.url);
    const presenter = await connect(wsAt(A.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    presenter.send(frame(1));
    const viewer = await connect(wsAt(S.port, `/ws/view/${room.id}`));
    await viewer.waitSync(1);
    S.child.kill('SIGSTOP');
    // ~16 MB while S sleeps: more than the kernel's socket buffers and Redis's 2 MB limit hold
    for (let seq = 2; seq <= 40; seq++) {
      for (let i = 0; i < 8; i++) presenter.send(frame(seq, 50_000));
      await sleep(5);
    }
    await sleep(300);
    S.child.kill('SIGCONT');
    await viewer.waitSync(40, 5000);
    expect(samePicture(viewer.synced, pictureOf(A, room.id))).toBe(true);
    const metrics = await (await fetch(`${S.url}/metrics`)).text();
    const resyncs = Number(/tilecast_bus_resyncs_total(?:\{[^}]*\})? (\d+)/.exec(metrics)?.[1]);
    expect(resyncs).toBeGreaterThanOrEqual(2); // the first keyframe, and the one after Redis dropped it
    presenter.send(JSON.stringify({ type: 'end' }));
    await killNode(S);
  });
});

describe.each(ENGINES)('a node shut down on purpose (%s)', (engine) => {
  it('ends no room: its clients get 1001, other nodes show reconnecting, the presenter resumes elsewhere at once', async () => {
    const redis = await startPrivateRedis();
    cleanup.push(() => redis.stop());
    const A = await startNode(redis, 'A', engine, { graceSeconds: 20 });
    const B = await startNode(redis, 'B', engine, { graceSeconds: 20 });
    cleanup.push(() => B.close());
    const room = await createRoomAt(A.url);
    let presenter = await connect(wsAt(A.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    for (let seq = 1; seq <= 16; seq++) presenter.send(frame(seq));
    const onA = await connect(wsAt(A.port, `/ws/view/${room.id}`));
    const onB = await connect(wsAt(B.port, `/ws/view/${room.id}`));
    await onA.waitSync(16);
    await onB.waitSync(16);
    await A.close();
    expect((await onA.waitClosed()).code).toBe(CloseCode.GoingAway);
    expect((await presenter.waitClosed()).code).toBe(CloseCode.GoingAway);
    await waitFor('B shows reconnecting', () => onB.lastStatus()?.state === 'reconnecting');
    const left = Date.now();
    presenter = await connect(wsAt(B.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
    await waitFor('welcome', () => presenter.control[0]);
    expect(presenter.control[0]).toMatchObject({ type: 'welcome', resumed: true });
    expect(Date.now() - left).toBeLessThan(2000); // no wait for a heartbeat to expire
    presenter.send(encodeGeometry(GEOMETRY));
    presenter.send(frame(17));
    await onB.waitSync(17);
    expect(onB.synced.size).toBe(16);
    expect(onB.closed).toBeNull();
    presenter.send(JSON.stringify({ type: 'end' }));
    expect((await onB.waitClosed()).code).toBe(CloseCode.Normal);
  });
});
