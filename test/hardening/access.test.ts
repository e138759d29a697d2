// Private rooms do not leak: their details, viewer stats and recordings need one of the room's tokens (or the admin
// token), and lists show them to the admin only. With public hosts configured, any other Host is refused (421)
// for HTTP and WebSocket upgrades alike (DNS rebinding), and a same-origin check needs a public host too.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGeometry } from '../../shared/protocol';
import type { TilecastServer } from '../../server/app';
import { connect } from '../helpers/client';
import { type CreatedRoom, ENGINES, createRoom, startTestServer, waitFor, wsUrl } from '../helpers/server';
import { httpRequest } from './http-get';

const ADMIN = 'admin-token-0123456789';

describe.each(ENGINES)('private rooms on %s', (engine) => {
  let server: TilecastServer;
  let dir: string;
  let secret: CreatedRoom;
  let open: CreatedRoom;
  let recording: string;
  const admin = { authorization: `Bearer ${ADMIN}` };
  const get = (p: string, headers: Record<string, string> = {}) => fetch(`${server.url}${p}`, { headers });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), `tilecast-access-${engine}-`));
    server = await startTestServer(engine, { adminToken: ADMIN, recordingsDir: dir, recordingFlushMs: 50 });
    secret = await createRoom(server, { name: 'Board meeting', private: true, record: true }, admin);
    open = await createRoom(server, { name: 'Town hall', record: true }, admin);
    for (const r of [secret, open]) {
      const p = await connect(wsUrl(server, `/ws/present/${r.id}?token=${r.presenterToken}`));
      p.send(encodeGeometry({ width: 64, height: 64, tileSize: 32 }));
    }
    recording = await waitFor('recording', () => server.rooms.get(secret.id)?.recordingId);
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('GET /api/rooms lists only public rooms unless the admin token is given', async () => {
    const anon = (await (await get('/api/rooms')).json()).rooms.map((r: { id: string }) => r.id);
    expect(anon).toEqual([open.id]);
    expect(JSON.stringify(await (await get('/api/rooms')).json())).not.toContain('Board meeting');
    const all = (await (await get('/api/rooms', admin)).json()).rooms.map((r: { id: string }) => r.id);
    expect(all.sort()).toEqual([secret.id, open.id].sort());
    // a room token is not an admin token
    expect(
      (await (await get('/api/rooms', { authorization: `Bearer ${secret.presenterToken}` })).json()).rooms,
    ).toHaveLength(1);
  });

  it.each(['', '/viewers'])(
    'GET /api/rooms/:id%s of a private room needs one of its tokens or the admin token',
    async (suffix) => {
      const denied = await get(`/api/rooms/${secret.id}${suffix}`);
      expect(denied.status).toBe(401);
      const body = await denied.json();
      expect(body.error.code).toBe('UNAUTHORIZED');
      expect(body.error.message).toMatch(/private/);
      expect(JSON.stringify(body)).not.toContain('Board meeting');
      expect((await get(`/api/rooms/${secret.id}${suffix}?token=${secret.viewerToken}`)).status).toBe(200);
      expect(
        (await get(`/api/rooms/${secret.id}${suffix}`, { authorization: `Bearer ${secret.presenterToken}` })).status,
      ).toBe(200);
      expect((await get(`/api/rooms/${secret.id}${suffix}`, admin)).status).toBe(200);
      // another room's token does not open it
      expect((await get(`/api/rooms/${secret.id}${suffix}?token=${open.presenterToken}`)).status).toBe(401);
      // public rooms stay public
      expect((await get(`/api/rooms/${open.id}${suffix}`)).status).toBe(200);
    },
  );

  it("a private room's snapshot needs one of its tokens or the admin token, like its details", async () => {
    const denied = await get(`/api/rooms/${secret.id}/snapshot.png`);
    expect(denied.status).toBe(401);
    expect((await denied.json()).error.code).toBe('UNAUTHORIZED');
    expect((await get(`/api/rooms/${secret.id}/snapshot.png?token=${open.presenterToken}`)).status).toBe(401);
    expect(
      (await get(`/api/rooms/${secret.id}/snapshot.png`, { authorization: `Bearer ${open.presenterToken}` })).status,
    ).toBe(401);
    for (const ok of [
      await get(`/api/rooms/${secret.id}/snapshot.png?token=${secret.viewerToken}`),
      await get(`/api/rooms/${secret.id}/snapshot.png`, { authorization: `Bearer ${secret.presenterToken}` }),
      await get(`/api/rooms/${secret.id}/snapshot.png`, admin),
    ]) {
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('image/png');
    }
  });

  it("GET /api/recordings hides a private room's recordings unless authorized for that room", async () => {
    const ids = async (headers: Record<string, string> = {}, query = '') =>
      (await (await get(`/api/recordings${query}`, headers)).json()).recordings.map((r: { id: string }) => r.id);
    expect(await ids()).not.toContain(recording);
    expect(await ids()).toHaveLength(1);
    expect(await ids(admin)).toContain(recording);
    expect(await ids({}, `?token=${secret.viewerToken}`)).toContain(recording);
    expect(await ids({ authorization: `Bearer ${open.presenterToken}` })).not.toContain(recording);
    expect((await get(`/api/recordings/${recording}`)).status).toBe(401);
    expect((await get(`/api/recordings/${recording}?token=${secret.viewerToken}`)).status).toBe(200);
    expect((await get(`/api/recordings/${recording}`, admin)).status).toBe(200);
  });
});

describe.each(ENGINES)('public hosts on %s', (engine) => {
  let server: TilecastServer;
  let room: CreatedRoom;

  beforeAll(async () => {
    server = await startTestServer(engine, { publicHosts: ['screens.example.com', 'localhost:8443'] });
    room = await createRoom(server, {}, { host: 'screens.example.com' }).catch(async () => {
      // undici may refuse to set Host: create through node:http instead
      const res = await httpRequest(`${server.url}/api/rooms`, {
        method: 'POST',
        headers: { host: 'screens.example.com', 'content-type': 'application/json' },
        body: '{}',
      });
      return JSON.parse(res.body.toString()) as CreatedRoom;
    });
  });
  afterAll(() => server.close());

  const upgradeStatus = (headers: Record<string, string>) =>
    new Promise<{ status: number; body: string }>((resolve) => {
      const ws = new WebSocket(wsUrl(server, `/ws/view/${room.id}`), { headers });
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('open', () => {
        resolve({ status: 101, body: '' });
        ws.close();
      });
      ws.on('error', () => {});
    });

  it('HTTP requests for another Host get 421 with a JSON error; listed hosts are served', async () => {
    for (const host of ['evil.example', `127.0.0.1:${server.port}`, 'localhost:9999', 'screens.example.com.evil']) {
      const res = await httpRequest(`${server.url}/api/rooms`, { headers: { host } });
      expect(res.status, host).toBe(421);
      const body = JSON.parse(res.body.toString());
      expect(body.error.code).toBe('MISDIRECTED');
      expect(body.error.message).toContain(host);
    }
    for (const host of ['screens.example.com', 'SCREENS.example.com:443', 'localhost:8443'])
      expect((await httpRequest(`${server.url}/api/rooms`, { headers: { host } })).status, host).toBe(200);
    // health checks and metrics are reached by IP
    expect((await httpRequest(`${server.url}/healthz`, { headers: { host: '10.0.0.5:8080' } })).status).toBe(200);
    expect((await httpRequest(`${server.url}/metrics`, { headers: { host: '10.0.0.5:8080' } })).status).toBe(200);
  });

  it('WebSocket upgrades for another Host get 421; a rebinding page (Origin = Host = its own name) is refused', async () => {
    const rebinding = await upgradeStatus({ host: 'evil.example', origin: 'http://evil.example' });
    expect(rebinding.status).toBe(421);
    expect(rebinding.body).toMatch(/does not answer to host "evil.example"/);
    expect((await upgradeStatus({ host: `127.0.0.1:${server.port}` })).status).toBe(421);
    expect((await upgradeStatus({ host: 'screens.example.com', origin: 'https://screens.example.com' })).status).toBe(
      101,
    );
    // the page is on a public host, the Origin is not: cross-site
    expect((await upgradeStatus({ host: 'screens.example.com', origin: 'https://evil.example' })).status).toBe(403);
  });
});

describe('security settings', () => {
  it('parses public hosts and trusted proxies from flags and env; a bad proxy entry stops start-up with one line', async () => {
    const { loadConfig, ConfigError } = await import('../../server/config');
    const c = loadConfig(
      {},
      { TILECAST_PUBLIC_HOSTS: 'a.example, b.example:8443', TILECAST_TRUST_PROXY: '10.0.0.0/8,::1' },
    );
    expect(c.publicHosts).toEqual(['a.example', 'b.example:8443']);
    expect(c.trustProxy).toEqual(['10.0.0.0/8', '::1']);
    expect(loadConfig({}, {}, ['--trust-proxy']).trustProxy).toEqual(['loopback']);
    expect(loadConfig({}, {}, []).trustProxy).toEqual([]);
    expect(loadConfig({}, { TILECAST_UNPRESENTED_ROOM_SECONDS: '30', TILECAST_ROOM_CREATE_BURST: '5' })).toMatchObject({
      unpresentedRoomSeconds: 30,
      roomCreateBurst: 5,
    });
    for (const bad of ['proxy.example', '10.0.0.0/33', '1.2.3.4/8/1'])
      expect(() => loadConfig({}, {}, ['--trust-proxy', bad])).toThrow(
        new ConfigError(
          'invalid configuration: trustProxy: each entry must be an IP address, a CIDR (10.0.0.0/8) or "loopback" (got "' +
            bad +
            '")',
        ),
      );
  });
});
