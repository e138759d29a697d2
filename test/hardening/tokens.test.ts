// Revocable viewer links and token expiry. Rotating a private room's viewer token (presenter or admin token)
// closes viewers holding an old one with 4401 within 1 s and refuses it at connect; presenter and viewer tokens
// carry `exp` (from ttlSeconds at room creation or rotation), checked whenever they are presented.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode, encodeGeometry } from '../../shared/protocol';
import type { TilecastServer } from '../../server/app';
import { TokenSigner } from '../../server/room/tokens';
import { connect } from '../helpers/client';
import { type CreatedRoom, ENGINES, createRoom, sleep, startTestServer, waitFor, wsUrl } from '../helpers/server';

const SECRET = 's'.repeat(40);

describe('TokenSigner', () => {
  it('binds room, role, generation and expiry; rejects tampering, expiry and revoked generations', () => {
    let now = 1_700_000_000_000;
    const signer = new TokenSigner(SECRET, () => now);
    const viewer = signer.sign('room1', 'viewer');
    const presenter = signer.sign('room1', 'presenter', { ttlSeconds: 60 });
    expect(signer.verify('room1', 'viewer', viewer)).toBe(true);
    expect(signer.verify('room2', 'viewer', viewer)).toBe(false);
    expect(signer.verify('room1', 'presenter', viewer)).toBe(false);
    expect(new TokenSigner('t'.repeat(40)).verify('room1', 'viewer', viewer)).toBe(false);
    // pushing the expiry out (or removing it) breaks the MAC
    expect(signer.verify('room1', 'presenter', presenter.replace(/\.e\d+\./, '.e0.'))).toBe(false);
    expect(signer.verify('room1', 'presenter', presenter)).toBe(true);
    now += 60_000;
    expect(signer.verify('room1', 'presenter', presenter)).toBe(false);
    const fresh = signer.rotateViewer('room1');
    expect(signer.verify('room1', 'viewer', viewer)).toBe(false);
    expect(signer.verify('room1', 'viewer', fresh)).toBe(true);
    expect(signer.verify('room2', 'viewer', signer.sign('room2', 'viewer'))).toBe(true); // other rooms untouched
    for (const junk of [
      '',
      'g0.e0.',
      'x'.repeat(43),
      `g0.e0.${'A'.repeat(43)}`,
      `g99999999999.e0.${'A'.repeat(43)}`,
      null,
      undefined,
    ])
      expect(signer.verify('room1', 'viewer', junk)).toBe(false);
  });
});

describe.each(ENGINES)('revocable viewer links on %s', (engine) => {
  let server: TilecastServer;
  let room: CreatedRoom;
  const ADMIN = 'admin-token-0123456789';
  const rotate = (id: string, headers: Record<string, string>, body = '{}') =>
    fetch(`${server.url}/api/rooms/${id}/viewer-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });

  beforeAll(async () => {
    server = await startTestServer(engine, { adminToken: ADMIN });
    room = await createRoom(server, { private: true }, { authorization: `Bearer ${ADMIN}` });
  });
  afterAll(() => server.close());

  it('closes viewers with the old token (4401, within 1 s), keeps the others, and refuses the old token after', async () => {
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry({ width: 64, height: 64, tileSize: 32 }));
    const old = await Promise.all(
      [1, 2, 3].map(() => connect(wsUrl(server, `/ws/view/${room.id}?token=${room.viewerToken}`))),
    );
    const byPresenterToken = await connect(wsUrl(server, `/ws/view/${room.id}?token=${room.presenterToken}`));
    await waitFor('4 viewers', () => server.rooms.get(room.id)?.viewerCount === 4);

    expect((await rotate(room.id, {})).status).toBe(401);
    expect((await rotate(room.id, { authorization: `Bearer ${room.viewerToken}` })).status).toBe(401);
    const started = Date.now();
    const res = await rotate(room.id, { authorization: `Bearer ${room.presenterToken}` });
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ closedViewers: 3, viewerUrl: `/view/${room.id}?token=${body.viewerToken}` });
    expect(body.viewerToken).not.toBe(room.viewerToken);
    for (const v of old) {
      const closed = await v.waitClosed(1000);
      expect(closed).toEqual({ code: CloseCode.Unauthorized, reason: 'viewer link revoked' });
    }
    expect(Date.now() - started).toBeLessThan(1000);
    expect(byPresenterToken.closed).toBeNull();
    expect(presenter.closed).toBeNull();
    expect(server.rooms.get(room.id)?.state).toBe('live');

    const again = await connect(wsUrl(server, `/ws/view/${room.id}?token=${room.viewerToken}`));
    expect((await again.waitClosed()).code).toBe(CloseCode.Unauthorized);
    const fresh = await connect(wsUrl(server, `/ws/view/${room.id}?token=${body.viewerToken}`));
    await sleep(100);
    expect(fresh.closed).toBeNull();
    // the old token opens nothing over HTTP either
    expect((await fetch(`${server.url}/api/rooms/${room.id}?token=${room.viewerToken}`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/rooms/${room.id}?token=${body.viewerToken}`)).status).toBe(200);

    // the admin may rotate too; public rooms have nothing to rotate
    const byAdmin = await rotate(room.id, { authorization: `Bearer ${ADMIN}` });
    expect(byAdmin.status).toBe(200);
    expect((await byAdmin.json()).closedViewers).toBe(1);
    const pub = await createRoom(server, {}, { authorization: `Bearer ${ADMIN}` });
    const refused = await rotate(pub.id, { authorization: `Bearer ${pub.presenterToken}` });
    expect(refused.status).toBe(409);
    expect((await refused.json()).error.code).toBe('NOT_PRIVATE');
    for (const c of [byPresenterToken, fresh, presenter]) await c.close();
  });

  it('token expiry: a room created with ttlSeconds refuses its tokens once they expire (checked at connect)', async () => {
    const short = await createRoom(server, { private: true, ttlSeconds: 1 }, { authorization: `Bearer ${ADMIN}` });
    expect(Date.parse((short as unknown as { expiresAt: string }).expiresAt)).toBeGreaterThan(Date.now());
    const early = await connect(wsUrl(server, `/ws/view/${short.id}?token=${short.viewerToken}`));
    await sleep(150);
    expect(early.closed).toBeNull();
    // exp has one-second precision (rounded up): wait past it
    await sleep(2100);
    const presenter = await connect(wsUrl(server, `/ws/present/${short.id}?token=${short.presenterToken}`));
    expect(await presenter.waitClosed()).toEqual({
      code: CloseCode.Unauthorized,
      reason: 'wrong presenter token (or expired)',
    });
    const viewer = await connect(wsUrl(server, `/ws/view/${short.id}?token=${short.viewerToken}`));
    expect((await viewer.waitClosed()).code).toBe(CloseCode.Unauthorized);
    // already connected viewers are not cut off by expiry (it is checked at connect)
    expect(early.closed).toBeNull();
    await early.close();
    // a rotation may give the new link its own lifetime
    const rotated = await (await rotate(short.id, { authorization: `Bearer ${ADMIN}` }, '{"ttlSeconds":3600}')).json();
    const late = await connect(wsUrl(server, `/ws/view/${short.id}?token=${rotated.viewerToken}`));
    await sleep(100);
    expect(late.closed).toBeNull();
    await late.close();
  });

  it('rejects bad ttlSeconds with 400', async () => {
    for (const ttlSeconds of [0, -5, 1.5, 'x', 10 ** 9]) {
      const res = await fetch(`${server.url}/api/rooms`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ttlSeconds }),
      });
      expect(res.status, String(ttlSeconds)).toBe(400);
    }
  });
});
