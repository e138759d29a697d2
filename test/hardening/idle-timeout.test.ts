// Dead viewers: both engines ping and drop a socket that sends nothing (not even a pong) for idleTimeoutSeconds.
// A client that answers pings stays, however quiet it is otherwise.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { connect } from '../helpers/client';
import { RawSocket } from '../helpers/raw-socket';
import { ENGINES, createRoom, startTestServer, waitFor, wsUrl } from '../helpers/server';

const IDLE_S = 8; // the smallest uWS accepts

describe.each(ENGINES)('idle timeout on %s', (engine) => {
  let server: TilecastServer;
  beforeAll(async () => {
    server = await startTestServer(engine, { idleTimeoutSeconds: IDLE_S });
  });
  afterAll(() => server.close(0));

  it(`a viewer that completes the handshake and then goes silent is dropped within ${IDLE_S} s; a quiet live one stays`, async () => {
    const room = await createRoom(server);
    const live = await connect(wsUrl(server, `/ws/view/${room.id}`)); // ws answers pings by itself
    const dead = await RawSocket.upgrade(server.port, `/ws/view/${room.id}`);
    dead.stall(); // never reads, never writes, never answers a ping
    const start = Date.now();
    const rooms = server.rooms.get(room.id)!;
    expect(rooms.viewerCount).toBe(2);
    await waitFor('the dead viewer dropped', () => rooms.viewerCount === 1, (IDLE_S + 4) * 1000);
    const elapsed = Date.now() - start;
    // uWS's timer granularity is ~4 s, so it may go a little later than the setting; ws goes within it
    expect(elapsed).toBeLessThan((IDLE_S + (engine === 'uws' ? 4 : 1)) * 1000);
    expect(elapsed).toBeGreaterThan((IDLE_S / 2 - 1) * 1000);
    expect(live.closed).toBeNull();
    await live.close();
    dead.destroy();
  }, 30_000);
});
