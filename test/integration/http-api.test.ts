// HTTP API: rooms, admin token, snapshots composited by sharp from real encoded tiles, health and metrics.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { encodeFrame, encodeGeometry } from '../../shared/protocol';
import { connect } from '../helpers/client';
import { ENGINES, createRoom, startTestServer, waitFor, wsUrl } from '../helpers/server';

const solid = (r: number, g: number, b: number, w = 64, h = 64) =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r, g, b } } })
    .png()
    .toBuffer();

describe.each(ENGINES)('HTTP API on %s', (engine) => {
  let server: TilecastServer;
  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server.close());

  it('creates, lists and describes rooms', async () => {
    const room = await createRoom(server, { name: 'Design review', private: false });
    expect(room).toMatchObject({
      name: 'Design review',
      private: false,
      viewerToken: null,
      viewerUrl: `/view/${room.id}`,
    });
    expect(room.presenterUrl).toBe(`/present/${room.id}?token=${room.presenterToken}`);
    const list = (await (await fetch(`${server.url}/api/rooms`)).json()) as { rooms: { id: string }[] };
    expect(list.rooms.map((r) => r.id)).toContain(room.id);
    const info = await (await fetch(`${server.url}/api/rooms/${room.id}`)).json();
    expect(info).toMatchObject({ id: room.id, presenter: 'waiting', viewers: 0, framesIn: 0, geometry: null });
  });

  it.each([
    ['not JSON', '{', 400, /not valid JSON/],
    ['an unknown field', JSON.stringify({ colour: 'red' }), 400, /Unrecognized key/],
    ['a wrong type', JSON.stringify({ private: 'yes' }), 400, /private: Expected boolean/],
    ['an empty name', JSON.stringify({ name: '  ' }), 400, /name/],
  ])('refuses a room body with %s', async (_name, body, status, message) => {
    const res = await fetch(`${server.url}/api/rooms`, { method: 'POST', body });
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: { code: string; message: string } };
    expect(json.error.message).toMatch(message);
  });

  it('answers unknown rooms, paths and methods with clear errors', async () => {
    const missing = await fetch(`${server.url}/api/rooms/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('ROOM_NOT_FOUND');
    expect((await fetch(`${server.url}/api/nothing-here`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/rooms`, { method: 'DELETE' })).status).toBe(405);
  });

  it('composites the ScreenShot into png, jpeg and webp, resized on request', async () => {
    const room = await createRoom(server);
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    const notYet = await fetch(`${server.url}/api/rooms/${room.id}/snapshot.png`);
    expect(notYet.status).toBe(404);
    presenter.send(encodeGeometry({ width: 100, height: 64, tileSize: 64 }));
    presenter.send(
      encodeFrame(1, Date.now(), [
        { col: 0, row: 0, codec: 'png', payload: await solid(255, 0, 0) },
        { col: 1, row: 0, codec: 'png', payload: await solid(0, 0, 255, 36, 64) }, // clipped edge tile
      ]),
    );
    await waitFor('frame', () => server.rooms.get(room.id)!.info().framesIn === 1);
    const res = await fetch(`${server.url}/api/rooms/${room.id}/snapshot.png`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const { data, info } = await sharp(Buffer.from(await res.arrayBuffer()))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([100, 64]);
    const px = (x: number, y: number) => [
      ...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3),
    ];
    expect(px(10, 10)).toEqual([255, 0, 0]);
    expect(px(90, 50)).toEqual([0, 0, 255]);
    for (const [fmt, mime] of [
      ['jpeg', 'image/jpeg'],
      ['webp', 'image/webp'],
    ]) {
      const r = await fetch(`${server.url}/api/rooms/${room.id}/snapshot.${fmt}?width=50`);
      expect(r.headers.get('content-type')).toBe(mime);
      const meta = await sharp(Buffer.from(await r.arrayBuffer())).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([fmt, 50, 32]);
    }
    expect((await fetch(`${server.url}/api/rooms/${room.id}/snapshot.png?width=abc`)).status).toBe(400);
    expect((await fetch(`${server.url}/api/rooms/${room.id}/snapshot.gif`)).status).toBe(404);
    await presenter.close();
  });

  it('a garbage tile does not break the snapshot', async () => {
    const room = await createRoom(server);
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry({ width: 128, height: 64, tileSize: 64 }));
    presenter.send(
      encodeFrame(1, Date.now(), [
        { col: 0, row: 0, codec: 'png', payload: await solid(0, 255, 0) },
        { col: 1, row: 0, codec: 'png', payload: new Uint8Array([1, 2, 3, 4]) },
      ]),
    );
    await waitFor('frame', () => server.rooms.get(room.id)!.info().framesIn === 1);
    const res = await fetch(`${server.url}/api/rooms/${room.id}/snapshot.png`);
    expect(res.status).toBe(200);
    const { data } = await sharp(Buffer.from(await res.arrayBuffer()))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([...data.subarray(0, 3)]).toEqual([0, 255, 0]);
    await presenter.close();
  });

  it('private room snapshots need a token', async () => {
    const room = await createRoom(server, { private: true });
    const res = await fetch(`${server.url}/api/rooms/${room.id}/snapshot.png`);
    expect(res.status).toBe(401);
    expect((await fetch(`${server.url}/api/rooms/${room.id}/snapshot.png?token=${room.viewerToken}`)).status).toBe(404); // no picture yet
  });

  it('serves health, metrics and the per-viewer view', async () => {
    const health = await (await fetch(`${server.url}/healthz`)).json();
    expect(health).toMatchObject({ ok: true, engine });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^tilecast_rooms \d+$/m);
    const room = await createRoom(server);
    const viewer = await connect(wsUrl(server, `/ws/view/${room.id}`));
    await waitFor('viewer', () => server.rooms.get(room.id)!.viewerCount === 1);
    const viewers = (await (await fetch(`${server.url}/api/rooms/${room.id}/viewers`)).json()) as { viewers: object[] };
    expect(viewers.viewers).toEqual([expect.objectContaining({ pending: 0, coalesced: 0, gridTiles: 0 })]);
    await viewer.close();
  });
});

describe('admin token', () => {
  let server: TilecastServer;
  beforeAll(async () => {
    server = await startTestServer('uws', { adminToken: 'a-very-secret-admin-token' });
  });
  afterAll(() => server.close());

  it('restricts room creation to holders of the admin token', async () => {
    const anonymous = await fetch(`${server.url}/api/rooms`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    const wrong = await fetch(`${server.url}/api/rooms`, {
      method: 'POST',
      headers: { authorization: 'Bearer wrong' },
    });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${server.url}/api/rooms`, {
      method: 'POST',
      headers: { authorization: 'Bearer a-very-secret-admin-token' },
    });
    expect(ok.status).toBe(201);
  });
});
