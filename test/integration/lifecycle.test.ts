// Presenter drop and resume, grace expiry, ending on purpose, tokens and conflicts, on both engines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { CloseCode, MessageType, encodeFrame, encodeGeometry } from '../../shared/protocol';
import { type TestClient, connect } from '../helpers/client';
import { ENGINES, createRoom, startTestServer, waitFor, wsUrl } from '../helpers/server';

const GEOMETRY = { width: 128, height: 64, tileSize: 64 };
const tile = (col: number, byte: number) => ({
  col,
  row: 0,
  codec: 'png' as const,
  payload: new Uint8Array([byte, byte]),
});

describe.each(ENGINES)('room life cycle on %s', (engine) => {
  let server: TilecastServer;
  beforeAll(async () => {
    server = await startTestServer(engine, { graceSeconds: 30 });
  });
  afterAll(() => server.close());

  const presenterUrl = (id: string, token: string) => wsUrl(server, `/ws/present/${id}?token=${token}`);

  it('a presenter that drops and comes back within grace resumes the same room; viewers keep the picture', async () => {
    const room = await createRoom(server);
    let presenter = await connect(presenterUrl(room.id, room.presenterToken));
    presenter.send(encodeGeometry(GEOMETRY));
    presenter.send(encodeFrame(1, Date.now(), [tile(0, 1), tile(1, 1)]));
    const viewer = await connect(wsUrl(server, `/ws/view/${room.id}`));
    await viewer.waitSync(1);

    presenter.terminate(); // network drop: no close frame
    await waitFor('reconnecting status', () => viewer.lastStatus()?.state === 'reconnecting');
    expect(viewer.closed).toBeNull();
    expect(server.rooms.get(room.id)!.info().presenter).toBe('reconnecting');

    presenter = await connect(presenterUrl(room.id, room.presenterToken));
    await waitFor('welcome', () => presenter.control[0]);
    expect(presenter.control[0]).toMatchObject({ type: 'welcome', role: 'presenter', resumed: true });
    await waitFor('live status', () => viewer.lastStatus()?.state === 'live');
    presenter.send(encodeGeometry(GEOMETRY)); // same geometry: the picture is kept, not reset
    presenter.send(encodeFrame(2, Date.now(), [tile(1, 2)]));
    await viewer.waitSync(2);
    expect(viewer.of(MessageType.Geometry)).toHaveLength(1);
    expect([...viewer.synced.get('0,0')!]).toEqual([1, 1]);
    expect([...viewer.synced.get('1,0')!]).toEqual([2, 2]);

    // a viewer that reconnects gets a fresh keyframe
    await viewer.close();
    const again = await connect(wsUrl(server, `/ws/view/${room.id}`));
    await again.waitSync(2);
    expect(again.synced).toEqual(viewer.synced);
    await again.close();
    await presenter.close();
  });

  it('a presenter that ends on purpose ends the room for every viewer with a normal close', async () => {
    const room = await createRoom(server);
    const presenter = await connect(presenterUrl(room.id, room.presenterToken));
    presenter.send(encodeGeometry(GEOMETRY));
    const viewers = await Promise.all([1, 2, 3].map(() => connect(wsUrl(server, `/ws/view/${room.id}`))));
    presenter.send(JSON.stringify({ type: 'end' }));
    for (const v of viewers) {
      expect(await v.waitClosed()).toEqual({ code: CloseCode.Normal, reason: 'room ended' });
      expect(v.lastStatus()?.state).toBe('ended');
    }
    expect((await presenter.waitClosed()).code).toBe(CloseCode.Normal);
    // a viewer arriving afterwards is told the room ended, not that it never existed
    const late = await connect(wsUrl(server, `/ws/view/${room.id}`));
    expect((await late.waitClosed()).code).toBe(CloseCode.Normal);
    expect(late.lastStatus()?.state).toBe('ended');
    expect((await fetch(`${server.url}/api/rooms/${room.id}`)).status).toBe(404);
  });

  it('after the grace period the room ends', async () => {
    const quick = await startTestServer(engine, { graceSeconds: 0.2 });
    try {
      const room = await createRoom(quick);
      const presenter = await connect(wsUrl(quick, `/ws/present/${room.id}?token=${room.presenterToken}`));
      const viewer = await connect(wsUrl(quick, `/ws/view/${room.id}`));
      presenter.terminate();
      await waitFor('reconnecting', () => viewer.lastStatus()?.state === 'reconnecting');
      expect((await viewer.waitClosed()).code).toBe(CloseCode.Normal);
      expect(viewer.lastStatus()?.state).toBe('ended');
      const back = await connect(wsUrl(quick, `/ws/present/${room.id}?token=${room.presenterToken}`));
      expect((await back.waitClosed()).code).toBe(CloseCode.Normal);
    } finally {
      await quick.close();
    }
  });

  it.each([
    [
      'a missing presenter token',
      (id: string) => `/ws/present/${id}`,
      CloseCode.Unauthorized,
      /presenter token missing/,
    ],
    [
      'a wrong presenter token',
      (id: string) => `/ws/present/${id}?token=forged`,
      CloseCode.Unauthorized,
      /wrong presenter token/,
    ],
    [
      'a viewer token used to present',
      (id: string, viewerToken: string) => `/ws/present/${id}?token=${viewerToken}`,
      CloseCode.Unauthorized,
      /wrong presenter token/,
    ],
    ['a private room without viewer token', (id: string) => `/ws/view/${id}`, CloseCode.Unauthorized, /private/],
    [
      'a private room with a wrong viewer token',
      (id: string) => `/ws/view/${id}?token=nope`,
      CloseCode.Unauthorized,
      /wrong viewer token/,
    ],
    ['an unknown room', () => `/ws/view/doesnotexist`, CloseCode.RoomNotFound, /does not exist/],
  ])('%s is refused with a close code and an error message', async (_name, path, code, reason) => {
    const room = await createRoom(server, { private: true });
    const c = await connect(wsUrl(server, path(room.id, room.viewerToken!)));
    const closed = await c.waitClosed();
    expect(closed.code).toBe(code);
    expect(closed.reason).toMatch(reason);
    const error = c.of(MessageType.Error)[0];
    expect(error).toMatchObject({ code });
  });

  it('a private room admits its viewer token', async () => {
    const room = await createRoom(server, { private: true });
    expect(room.viewerUrl).toContain(`token=${room.viewerToken}`);
    const v = await connect(wsUrl(server, room.viewerUrl.replace('/view/', '/ws/view/')));
    await waitFor('welcome', () => v.control[0]);
    expect(v.closed).toBeNull();
    await v.close();
  });

  it('a second presenter is refused and the first one keeps presenting', async () => {
    const room = await createRoom(server);
    const first = await connect(presenterUrl(room.id, room.presenterToken));
    const second = await connect(presenterUrl(room.id, room.presenterToken));
    const closed = await second.waitClosed();
    expect(closed.code).toBe(CloseCode.PresenterConflict);
    expect(closed.reason).toMatch(/already has a presenter/);
    first.send(encodeGeometry(GEOMETRY));
    first.send(encodeFrame(1, Date.now(), [tile(0, 5)]));
    const viewer: TestClient = await connect(wsUrl(server, `/ws/view/${room.id}`));
    await viewer.waitSync(1);
    expect(first.closed).toBeNull();
    await viewer.close();
    await first.close();
  });
});
