// Handshake abuse: every bad upgrade gets an HTTP error status and a closed connection, never a socket, and
// other rooms go on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { Bystander } from '../helpers/bystander';
import { RawSocket, handshake } from '../helpers/raw-socket';
import { ENGINES, createRoom, startTestServer, waitFor } from '../helpers/server';

const rssMiB = () => process.memoryUsage().rss / 1024 / 1024;

// [name, path (ROOM is replaced), headers, expected status]
const CASES: [string, string, Record<string, string>, RegExp][] = [
  [
    'a Sec-WebSocket-Key that is not 16 bytes of base64',
    '/ws/view/ROOM',
    { 'Sec-WebSocket-Key': 'not-a-key' },
    /^HTTP\/1\.1 400/,
  ],
  ['no Sec-WebSocket-Key', '/ws/view/ROOM', { 'Sec-WebSocket-Key': '' }, /^HTTP\/1\.1 400/],
  ['no Sec-WebSocket-Version', '/ws/view/ROOM', { 'Sec-WebSocket-Version': '' }, /^HTTP\/1\.1 426/],
  ['Sec-WebSocket-Version 8', '/ws/view/ROOM', { 'Sec-WebSocket-Version': '8' }, /^HTTP\/1\.1 426/],
  ['a path outside /ws/', '/nope/view/ROOM', {}, /^HTTP\/1\.1 404/],
  ['an unknown role', '/ws/spectate/ROOM', {}, /^HTTP\/1\.1 404/],
  ['a room id with bad characters', '/ws/view/..%2F..%2Fetc', {}, /^HTTP\/1\.1 404/],
  ['a foreign Origin', '/ws/view/ROOM', { Origin: 'https://evil.example' }, /^HTTP\/1\.1 403/],
];

describe.each(ENGINES)('handshake abuse on %s', (engine) => {
  let server: TilecastServer;
  let bystander: Bystander;
  let roomId: string;
  beforeAll(async () => {
    server = await startTestServer(engine);
    bystander = await Bystander.start(server);
    roomId = (await createRoom(server)).id;
  });
  afterAll(async () => {
    await bystander.stop();
    await server.close(0);
  });

  it.each(CASES)('%s is refused', async (_name, path, headers, status) => {
    bystander.mark();
    const start = Date.now();
    const raw = await RawSocket.open(server.port, handshake(server.port, path.replace('ROOM', roomId), headers));
    await waitFor('an answer', () => raw.status, 2000);
    expect(raw.status).toMatch(status);
    expect(Date.now() - start).toBeLessThan(1000);
    expect(server.rooms.get(roomId)!.viewerCount).toBe(0);
    raw.destroy();
    await bystander.expectHealthy(500);
  });

  it('1000 bad handshakes in a row cost no memory and leave the server serving', async () => {
    const rss0 = rssMiB();
    bystander.mark();
    for (let round = 0; round < 10; round++) {
      const batch = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          RawSocket.open(
            server.port,
            handshake(
              server.port,
              `/ws/view/${roomId}`,
              i % 2 ? { 'Sec-WebSocket-Key': 'x' } : { 'Sec-WebSocket-Version': '99' },
            ),
          ),
        ),
      );
      await waitFor('answers', () => batch.every((r) => r.status), 5000);
      for (const r of batch) r.destroy();
    }
    expect(rssMiB() - rss0).toBeLessThan(50);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    await bystander.expectHealthy(1000);
  });
});
