// Room-creation flood: POST /api/rooms is rate-limited per client address (429 + Retry-After + JSON), the client
// address behind a trusted proxy is X-Forwarded-For's right-most untrusted hop, rooms nobody presents in are swept
// after unpresentedRoomSeconds, and a recording file appears only once a presenter joins.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { RateLimiter } from '../../server/http/rate-limit';
import { clientAddress } from '../../server/http/client-address';
import { connect } from '../helpers/client';
import { ENGINES, createRoom, sleep, startTestServer, waitFor, wsUrl } from '../helpers/server';

const post = (server: TilecastServer, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/api/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: '{}',
  });

describe('rate limiter and client address (units)', () => {
  it('a bucket allows its burst, then one request per refill interval', () => {
    let now = 0;
    const limiter = new RateLimiter(3, 60, 100, () => now); // 1 per second
    expect([1, 2, 3].map(() => limiter.take('a').ok)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(limiter.take('b').ok).toBe(true); // another address has its own bucket
    now += 999;
    expect(limiter.take('a').ok).toBe(false);
    now += 2;
    expect(limiter.take('a').ok).toBe(true);
  });

  it('keeps at most maxKeys buckets', () => {
    const limiter = new RateLimiter(1, 1, 50);
    for (let i = 0; i < 1000; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(50);
  });

  it('trusts X-Forwarded-For only from a trusted proxy, right-most untrusted hop first', () => {
    const direct = clientAddress([]);
    expect(direct('::ffff:10.1.2.3', { 'x-forwarded-for': '1.1.1.1' })).toBe('10.1.2.3');
    const proxied = clientAddress(['loopback', '10.0.0.0/8']);
    // The client may prepend anything; the proxy appended the real peer on the right.
    expect(proxied('127.0.0.1', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' })).toBe('203.0.113.7');
    // Several trusted proxies in a chain are skipped.
    expect(proxied('127.0.0.1', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7, 10.2.3.4' })).toBe('203.0.113.7');
    // A request not from a proxy: its header is ignored.
    expect(proxied('198.51.100.1', { 'x-forwarded-for': '203.0.113.7' })).toBe('198.51.100.1');
    // From a proxy but without the header: the proxy itself is the client.
    expect(proxied('::1', {})).toBe('::1');
    expect(() => clientAddress(['not-an-ip'])).toThrow(/not an IP address/);
  });
});

describe.each(ENGINES)('room-creation flood on %s', (engine) => {
  let server: TilecastServer;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), `tilecast-flood-${engine}-`));
    server = await startTestServer(engine, {
      recordingsDir: dir,
      recordByDefault: true,
      roomCreateBurst: 5,
      roomCreatePerMinute: 60,
      trustProxy: ['loopback'],
      unpresentedRoomSeconds: 1,
      graceSeconds: 0,
    });
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers 429 with Retry-After and a JSON error after the burst; other addresses are unaffected', async () => {
    const from = { 'x-forwarded-for': '203.0.113.10' };
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await post(server, from)).status);
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429, 429, 429]);
    const refused = await post(server, from);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(2);
    expect(await refused.json()).toEqual({
      error: { code: 'RATE_LIMITED', message: expect.stringMatching(/too many rooms/) },
    });
    // A spoofed left-hand entry does not buy a fresh bucket: the right-most untrusted hop is the key.
    expect((await post(server, { 'x-forwarded-for': '1.2.3.4, 203.0.113.10' })).status).toBe(429);
    // Another client behind the same proxy has its own bucket.
    expect((await post(server, { 'x-forwarded-for': '203.0.113.11' })).status).toBe(201);
    // One token per second comes back.
    await sleep(1100);
    expect((await post(server, from)).status).toBe(201);
  });

  it('creates no recording file until a presenter joins, then exactly one', async () => {
    const before = (await readdir(dir)).filter((f) => f.endsWith('.tcrec')).length;
    const room = await createRoom(server, { record: true }, { 'x-forwarded-for': '203.0.113.20' });
    expect((await readdir(dir)).filter((f) => f.endsWith('.tcrec')).length).toBe(before);
    expect((await (await fetch(`${server.url}/api/rooms/${room.id}`)).json()).recording).toBeNull();
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    const recording = await waitFor('recording id', () => server.rooms.get(room.id)?.recordingId);
    expect(await readdir(dir)).toContain(`${recording}.tcrec`);
    expect((await readdir(dir)).filter((f) => f.endsWith('.tcrec')).length).toBe(before + 1);
    presenter.send(JSON.stringify({ type: 'end' }));
    await presenter.waitClosed();
  });

  it('sweeps rooms nobody presented in after unpresentedRoomSeconds; a presented room stays', async () => {
    const ip = { 'x-forwarded-for': '203.0.113.30' };
    const idle = await createRoom(server, {}, ip);
    const live = await createRoom(server, {}, ip);
    const presenter = await connect(wsUrl(server, `/ws/present/${live.id}?token=${live.presenterToken}`));
    const started = Date.now();
    await waitFor('unpresented room swept', () => !server.rooms.get(idle.id), 3000);
    const took = Date.now() - started;
    expect(took).toBeGreaterThan(500);
    expect(took).toBeLessThan(2000);
    expect((await fetch(`${server.url}/api/rooms/${idle.id}`)).status).toBe(404);
    expect(server.rooms.get(live.id)?.state).toBe('live');
    presenter.send(JSON.stringify({ type: 'end' }));
    await presenter.waitClosed();
  });
});

describe.each(ENGINES)('room creation without trust-proxy on %s', (engine) => {
  let server: TilecastServer;
  beforeAll(async () => {
    server = await startTestServer(engine, { roomCreateBurst: 2, roomCreatePerMinute: 1 });
  });
  afterAll(() => server.close());

  it('ignores X-Forwarded-For (a client cannot pick its own bucket); the admin token is not limited', async () => {
    expect((await post(server, { 'x-forwarded-for': '1.1.1.1' })).status).toBe(201);
    expect((await post(server, { 'x-forwarded-for': '2.2.2.2' })).status).toBe(201);
    expect((await post(server, { 'x-forwarded-for': '3.3.3.3' })).status).toBe(429);
    const admin = await startTestServer(engine, {
      roomCreateBurst: 1,
      roomCreatePerMinute: 1,
      adminToken: 'a'.repeat(20),
    });
    try {
      for (let i = 0; i < 5; i++)
        expect((await post(admin, { authorization: `Bearer ${'a'.repeat(20)}` })).status).toBe(201);
    } finally {
      await admin.close();
    }
  });
});
