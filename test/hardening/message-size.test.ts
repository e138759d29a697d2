// Size limits on what clients send: viewers get a small engine-level limit (their sockets refuse big frames
// before buffering them), and every text (JSON control) message is size-checked before it is parsed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { CloseCode } from '../../shared/protocol';
import { Bystander } from '../helpers/bystander';
import { connect } from '../helpers/client';
import { Opcode, RawSocket, clientFrame } from '../helpers/raw-socket';
import { ENGINES, createRoom, waitFor, startTestServer, wsUrl } from '../helpers/server';

const CONTROL = 2048;
const MiB = 1024 * 1024;
const rssMiB = () => process.memoryUsage().rss / MiB;

/** a valid ping padded with an ignored field to exactly `bytes` */
function pingOf(bytes: number): string {
  const base = JSON.stringify({ type: 'ping', t: 1, pad: '' });
  return JSON.stringify({ type: 'ping', t: 1, pad: 'x'.repeat(bytes - base.length) });
}

/** `{"a":[[[[...]]]]}` nested `depth` deep: cheap to send, costly to parse */
const nestingBomb = (depth: number) => `{"type":"ping","t":1,"a":${'['.repeat(depth)}${']'.repeat(depth)}}`;

describe.each(ENGINES)('message size limits on %s', (engine) => {
  let server: TilecastServer;
  let bystander: Bystander;
  beforeAll(async () => {
    server = await startTestServer(engine, { maxControlBytes: CONTROL, maxMessageBytes: 4 * MiB });
    bystander = await Bystander.start(server);
  });
  afterAll(async () => {
    await bystander.stop();
    await server.close(0);
  });

  it('a viewer message of exactly the control limit is answered; one byte more closes it with 1009', async () => {
    const room = await createRoom(server);
    const ok = await connect(wsUrl(server, `/ws/view/${room.id}`));
    ok.send(pingOf(CONTROL));
    await waitFor('pong', () => ok.control.some((c) => c.type === 'pong'));
    expect(ok.closed).toBeNull();

    const over = await connect(wsUrl(server, `/ws/view/${room.id}`));
    const start = Date.now();
    over.send(pingOf(CONTROL + 1));
    const closed = await over.waitClosed();
    expect(closed.code).toBe(CloseCode.MessageTooBig);
    expect(Date.now() - start).toBeLessThan(1000);
    expect(ok.closed).toBeNull();
    await ok.close();
  });

  it('at the viewer engine limit (4 x control) the app answers 1009 with its reason; one byte more the engine refuses', async () => {
    const room = await createRoom(server);
    const atLimit = await RawSocket.upgrade(server.port, `/ws/view/${room.id}`);
    atLimit.write(clientFrame(Opcode.Text, Buffer.alloc(4 * CONTROL, 0x20)));
    await waitFor('closed', () => atLimit.close, 2000);
    expect(atLimit.close).toEqual({
      code: 1009,
      reason: `control message of ${4 * CONTROL} bytes is over the ${CONTROL}-byte limit`,
    });
    const over = await RawSocket.upgrade(server.port, `/ws/view/${room.id}`);
    over.write(clientFrame(Opcode.Text, Buffer.alloc(4 * CONTROL + 1, 0x20)));
    await waitFor('closed', () => over.close || over.ended, 2000);
    // the engine's own answer: ws sends 1009 without the app's reason, uWS cuts the connection
    if (engine === 'ws') expect(over.close?.code).toBe(1009);
    else expect(over.close?.code ?? 1006).toBe(1006);
    expect(over.close?.reason ?? '').not.toMatch(/control message/);
    atLimit.destroy();
    over.destroy();
  });

  it('20 viewers announcing 8 MiB messages are refused by the engine before it buffers them', async () => {
    const room = await createRoom(server);
    bystander.mark();
    const rss0 = rssMiB();
    const payload = Buffer.alloc(8 * MiB - 1, 0x61); // shared by all sockets: the test itself stays small
    const viewers = await Promise.all(
      Array.from({ length: 20 }, () => RawSocket.upgrade(server.port, `/ws/view/${room.id}`)),
    );
    const start = Date.now();
    for (const v of viewers) {
      v.write(clientFrame(Opcode.Text, new Uint8Array(0), { declaredLength: payload.length }));
      v.write(payload);
    }
    await waitFor('all closed', () => viewers.every((v) => v.ended), 5000);
    const elapsed = Date.now() - start;
    // ws answers with a 1009 close frame; uWS cuts the TCP connection at once (no close frame: a client sees 1006)
    for (const v of viewers) expect(v.close?.code ?? 1006).toBe(engine === 'ws' ? 1009 : 1006);
    expect(elapsed).toBeLessThan(3000);
    expect(rssMiB() - rss0).toBeLessThan(60); // was +141 MB for 20 such viewers
    await bystander.expectHealthy(1000);
  });

  it.each([
    ['a 2 MB nesting bomb from a presenter', 'present', nestingBomb(1024 * 1024)],
    ['a control message one byte over the limit from a presenter', 'present', pingOf(CONTROL + 1)],
  ])('%s is refused before parsing (1009)', async (_name, role, text) => {
    const room = await createRoom(server);
    const token = role === 'present' ? `?token=${room.presenterToken}` : '';
    const client = await connect(wsUrl(server, `/ws/${role}/${room.id}${token}`));
    bystander.mark();
    const start = Date.now();
    client.send(text);
    const closed = await client.waitClosed();
    expect(closed.code).toBe(CloseCode.MessageTooBig);
    expect(closed.reason).toMatch(
      new RegExp(`control message of ${Buffer.byteLength(text)} bytes is over the ${CONTROL}-byte limit`),
    );
    expect(Date.now() - start).toBeLessThan(1000);
    await bystander.expectHealthy(500);
  });

  it('four viewers sending nesting bombs do not stall other rooms', async () => {
    const room = await createRoom(server);
    const rss0 = rssMiB();
    bystander.mark();
    const viewers = await Promise.all(Array.from({ length: 4 }, () => connect(wsUrl(server, `/ws/view/${room.id}`))));
    const bomb = nestingBomb(2 * MiB);
    for (const v of viewers) v.send(bomb);
    for (const v of viewers) expect((await v.waitClosed()).code).toBe(engine === 'ws' ? 1009 : 1006); // as above
    expect(rssMiB() - rss0).toBeLessThan(100); // was +735 MB and a 3 s stall
    await bystander.expectHealthy(500);
  });
});
