// Three nodes, one room, over a real redis-server: presenter on A, viewers on A, B and C converge to the origin's
// ScreenShot; late joiners start from their node's replica; a stalled viewer on a replica stays bounded.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { CloseCode, MessageType, encodeFrame, encodeGeometry } from '../../shared/protocol';
import { type TestClient, connect } from '../helpers/client';
import { RawViewer } from '../helpers/raw-viewer';
import { sleep, waitFor } from '../helpers/server';
import { type PrivateRedis, createRoomAt, pictureOf, samePicture, startNode, startPrivateRedis, wsAt } from './helpers';

const GEOMETRY = { width: 256, height: 128, tileSize: 32 }; // 8 x 4 tiles
const COLS = 8;
const ROWS = 4;

function randomTiles(count: number, size: number, seed: number) {
  const tiles = [];
  for (let i = 0; i < count; i++) {
    const payload = new Uint8Array(size);
    for (let b = 0; b < size; b++) payload[b] = (seed * 31 + i * 7 + b) & 0xff;
    const cell = (seed * 5 + i * 11) % (COLS * ROWS); // 11 is prime to 32: `count` distinct cells
    tiles.push({ col: cell % COLS, row: Math.floor(cell / COLS), codec: 'png' as const, payload });
  }
  return tiles;
}

const metric = async (
  server: TilecastServer,
  key: 'keyframesSent' | 'keyframeRequests' | 'framesPublished' | 'framesReceived',
) => (await server.cluster!.metrics[key].get()).values[0]?.value ?? 0;

const CLUSTERS = [
  ['uws', 'uws', 'uws'],
  ['ws', 'ws', 'ws'],
  ['uws', 'ws', 'uws'], // mixed engines
] as const;

describe.each(CLUSTERS)('3 nodes (%s, %s, %s), one room', (ea, eb, ec) => {
  let redis: PrivateRedis;
  let A: TilecastServer;
  let B: TilecastServer;
  let C: TilecastServer;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    [A, B, C] = await Promise.all([startNode(redis, 'A', ea), startNode(redis, 'B', eb), startNode(redis, 'C', ec)]);
  });
  afterAll(async () => {
    await Promise.all([A?.close(), B?.close(), C?.close()]);
    await redis?.stop();
  });

  it("viewers on every node converge to the origin ScreenShot; a late joiner on C starts from C's replica", async () => {
    const room = await createRoomAt(B.url); // created on B, presented on A: any node can do either
    const presenter = await connect(wsAt(A.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    const viewers: TestClient[] = [];
    for (const node of [A, B, C]) viewers.push(await connect(wsAt(node.port, `/ws/view/${room.id}`)));
    // A replica subscribes to the room when its first viewer comes, then syncs by keyframe: the geometry reaching
    // each viewer says its node is on the bus, so every frame below is one it must receive.
    await waitFor('replicas synced', () => viewers.every((v) => v.of(MessageType.Geometry).length > 0));
    for (let seq = 1; seq <= 40; seq++) {
      presenter.send(encodeFrame(seq, Date.now(), randomTiles(6, 200, seq)));
      if (seq % 10 === 0) await sleep(5);
    }
    for (const v of viewers) await v.waitSync(40);
    const origin = pictureOf(A, room.id);
    expect(origin.size).toBeGreaterThan(20);
    for (const v of viewers) expect(samePicture(v.synced, origin)).toBe(true);
    for (const node of [B, C]) expect(samePicture(pictureOf(node, room.id), origin)).toBe(true);
    expect(A.cluster!.roles()[room.id].role).toBe('origin');
    expect(B.cluster!.roles()[room.id].role).toBe('replica');

    // A late joiner on C: no keyframe from the origin is needed, C's replica has the picture.
    const keyframesBefore = await metric(A, 'keyframesSent');
    const late = await connect(wsAt(C.port, `/ws/view/${room.id}`));
    await late.waitSync(40);
    expect(samePicture(late.synced, origin)).toBe(true);
    expect(await metric(A, 'keyframesSent')).toBe(keyframesBefore);

    // One publish per frame on the origin, whatever the number of nodes.
    expect(await metric(A, 'framesPublished')).toBeGreaterThanOrEqual(41);
    expect(await metric(A, 'framesPublished')).toBeLessThan(41 + 5);
    expect(await metric(A, 'framesReceived')).toBe(0); // the origin does not get its own frames back
    expect(await metric(B, 'framesReceived')).toBeGreaterThanOrEqual(41);
    presenter.send(JSON.stringify({ type: 'end' }));
    for (const v of [...viewers, late]) expect((await v.waitClosed()).code).toBe(CloseCode.Normal);
  });

  it('a stalled raw-TCP viewer on B stays bounded and converges when it reads again', async () => {
    const room = await createRoomAt(A.url);
    const presenter = await connect(wsAt(A.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    presenter.send(encodeFrame(1, Date.now(), randomTiles(32, 64, 1)));
    const raw = await RawViewer.open(B.port, `/ws/view/${room.id}`);
    await waitFor('first sync', () => raw.syncs.includes(1));
    raw.stall();
    // ~6 MB of tiles while the viewer does not read
    for (let seq = 2; seq <= 200; seq++) {
      presenter.send(encodeFrame(seq, Date.now(), randomTiles(8, 4000, seq)));
      if (seq % 20 === 0) await sleep(10);
    }
    await waitFor('B applied everything', () => B.rooms.get(room.id)?.keyframe().seq === 200, 10_000);
    const stats = B.rooms.get(room.id)!.viewerStats()[0];
    expect(stats.pending).toBeLessThanOrEqual(stats.gridTiles);
    expect(stats.buffered).toBeLessThan(B.config.viewerHighWaterBytes + 2 * B.config.maxMessageBytes);
    raw.resume();
    await waitFor('stalled viewer converges', () => raw.syncs.includes(200), 10_000);
    expect(samePicture(raw.picture, pictureOf(A, room.id))).toBe(true);
    raw.destroy();
    presenter.send(JSON.stringify({ type: 'end' }));
  });
});

describe.each(['uws', 'ws'] as const)('cluster room life cycle on %s', (engine) => {
  let redis: PrivateRedis;
  let A: TilecastServer;
  let B: TilecastServer;
  let C: TilecastServer;
  beforeAll(async () => {
    redis = await startPrivateRedis();
    [A, B, C] = await Promise.all([
      startNode(redis, 'A', engine, { graceSeconds: 20 }),
      startNode(redis, 'B', engine, { graceSeconds: 20, busMaxMessageBytes: 64 * 1024 }),
      startNode(redis, 'C', engine, { graceSeconds: 20 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([A?.close(), B?.close(), C?.close()]);
    await redis?.stop();
  });

  it('rooms are created, listed, inspected, token-checked and snapshotted through any node', async () => {
    const room = await createRoomAt(B.url, { name: 'ops', private: true });
    expect(room.viewerToken).toBeTruthy();
    const list = (await (await fetch(`${C.url}/api/rooms`)).json()) as { rooms: { id: string; name: string }[] };
    expect(list.rooms.find((r) => r.id === room.id)?.name).toBe('ops');
    expect((await fetch(`${A.url}/api/rooms/${room.id}`)).status).toBe(200);
    expect((await fetch(`${A.url}/api/rooms/nosuchroom`)).status).toBe(404);

    const wrong = await connect(wsAt(A.port, `/ws/present/${room.id}?token=nope`));
    expect((await wrong.waitClosed()).code).toBe(CloseCode.Unauthorized);
    const presenter = await connect(wsAt(A.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    presenter.send(encodeFrame(1, Date.now(), randomTiles(4, 10, 1)));
    const stranger = await connect(wsAt(C.port, `/ws/view/${room.id}`));
    expect((await stranger.waitClosed()).code).toBe(CloseCode.Unauthorized);
    const viewer = await connect(wsAt(C.port, `/ws/view/${room.id}?token=${room.viewerToken}`));
    await viewer.waitSync(1);

    // Per-node viewer counts come with the nodes' heartbeats (every 2 s).
    let described: { presenterNode?: string; presenter?: string; viewersByNode?: Record<string, number> } = {};
    for (let i = 0; i < 60 && described.viewersByNode?.C !== 1; i++) {
      described = await (await fetch(`${B.url}/api/rooms/${room.id}`)).json();
      await sleep(100);
    }
    expect(described).toMatchObject({ presenterNode: 'A', presenter: 'live', viewersByNode: { C: 1 } });

    // B has no viewer of the room: the snapshot comes from a short-lived replica there.
    expect((await fetch(`${B.url}/api/rooms/${room.id}/snapshot.png`)).status).toBe(401);
    const snap = await fetch(`${B.url}/api/rooms/${room.id}/snapshot.png?token=${room.viewerToken}`);
    expect(snap.status).toBe(200);
    expect(snap.headers.get('content-type')).toBe('image/png');
    presenter.send(JSON.stringify({ type: 'end' }));
    await viewer.waitClosed();
  });

  it('frames and keyframes over the bus limit travel in chunks', async () => {
    // The publisher's limit is what counts: B (64 KiB) is the origin here.
    const room2 = await createRoomAt(B.url);
    const p2 = await connect(wsAt(B.port, `/ws/present/${room2.id}?token=${room2.presenterToken}`));
    p2.send(encodeGeometry(GEOMETRY));
    const onC = await connect(wsAt(C.port, `/ws/view/${room2.id}`));
    await waitFor('C in sync', () => C.cluster!.roles()[room2.id] && !C.cluster!.roles()[room2.id].awaiting);
    p2.send(encodeFrame(1, Date.now(), randomTiles(8, 30_000, 3))); // ~240 KB: 4 chunks
    await onC.waitSync(1);
    expect(samePicture(onC.synced, pictureOf(B, room2.id))).toBe(true);
    // A late node: its first keyframe (the whole picture) is chunked too.
    const onA = await connect(wsAt(A.port, `/ws/view/${room2.id}`));
    await onA.waitSync(1);
    expect(samePicture(onA.synced, pictureOf(B, room2.id))).toBe(true);
    p2.send(JSON.stringify({ type: 'end' }));
  });

  it('the presenter moves from A to B within grace: viewers everywhere see reconnecting -> live and keep the picture', async () => {
    const room = await createRoomAt(A.url);
    let presenter = await connect(wsAt(A.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    presenter.send(encodeFrame(1, Date.now(), randomTiles(32, 20, 1)));
    const viewers = [] as TestClient[];
    for (const node of [A, B, C]) viewers.push(await connect(wsAt(node.port, `/ws/view/${room.id}`)));
    for (const v of viewers) await v.waitSync(1);
    const before = pictureOf(A, room.id);

    presenter.terminate(); // network drop
    for (const v of viewers) await waitFor('reconnecting', () => v.lastStatus()?.state === 'reconnecting');
    presenter = await connect(wsAt(B.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
    await waitFor('welcome', () => presenter.control[0]);
    expect(presenter.control[0]).toMatchObject({ type: 'welcome', resumed: true });
    presenter.send(encodeGeometry(GEOMETRY));
    presenter.send(encodeFrame(2, Date.now(), [{ col: 0, row: 0, codec: 'png', payload: new Uint8Array([9, 9, 9]) }]));
    for (const v of viewers) {
      await waitFor('live', () => v.lastStatus()?.state === 'live');
      await v.waitSync(2);
      expect(v.closed).toBeNull();
    }
    expect(B.cluster!.roles()[room.id].role).toBe('origin');
    await waitFor('A is a replica', () => A.cluster!.roles()[room.id]?.role === 'replica');
    const after = pictureOf(B, room.id);
    expect(after.size).toBe(before.size); // the new origin started from the old one's picture
    for (const v of viewers) expect(samePicture(v.synced, after)).toBe(true);
    presenter.send(JSON.stringify({ type: 'end' }));
    for (const v of viewers) await v.waitClosed();
  });

  it('a second presenter on another node while the first is live is refused', async () => {
    const room = await createRoomAt(A.url);
    const first = await connect(wsAt(A.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
    await waitFor('welcome', () => first.control[0]);
    const second = await connect(wsAt(C.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
    expect((await second.waitClosed()).code).toBe(CloseCode.PresenterConflict);
    expect(first.closed).toBeNull();
    first.send(JSON.stringify({ type: 'end' }));
  });

  it('the presenter ends: every viewer on every node gets ended and a normal close; late viewers hear ended', async () => {
    const room = await createRoomAt(C.url);
    const presenter = await connect(wsAt(A.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    const viewers = [] as TestClient[];
    for (const node of [A, B, B, C]) viewers.push(await connect(wsAt(node.port, `/ws/view/${room.id}`)));
    await waitFor('all live', () => viewers.every((v) => v.lastStatus()?.state === 'live'));
    presenter.send(JSON.stringify({ type: 'end' }));
    for (const v of viewers) {
      expect(await v.waitClosed()).toEqual({ code: CloseCode.Normal, reason: 'room ended' });
      expect(v.lastStatus()?.state).toBe('ended');
    }
    const late = await connect(wsAt(B.port, `/ws/view/${room.id}`));
    expect((await late.waitClosed()).code).toBe(CloseCode.Normal);
    expect(late.lastStatus()?.state).toBe('ended');
  });
});
