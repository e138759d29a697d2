// Malformed binary from a presenter, beyond test/integration/bad-input.test.ts: forged counts and lengths that
// would make a naive decoder allocate or loop. Each closes the presenter alone, fast, with memory unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import {
  CloseCode,
  FRAME_HEADER_BYTES,
  MessageType,
  PROTOCOL_VERSION,
  TILE_HEADER_BYTES,
  encodeFrame,
  encodeGeometry,
} from '../../shared/protocol';
import { Bystander } from '../helpers/bystander';
import { connect } from '../helpers/client';
import { ENGINES, createRoom, startTestServer, wsUrl } from '../helpers/server';

const rssMiB = () => process.memoryUsage().rss / 1024 / 1024;

/** a Frame header that claims `tiles` tiles and carries `extra` bytes after it */
function forgedFrame(tiles: number, extra: Uint8Array = new Uint8Array(0)): Uint8Array {
  const b = new Uint8Array(FRAME_HEADER_BYTES + extra.length);
  b[0] = PROTOCOL_VERSION;
  b[1] = MessageType.Frame;
  new DataView(b.buffer).setUint16(16, tiles);
  b.set(extra, FRAME_HEADER_BYTES);
  return b;
}

/** one tile record header whose payload length says `length` */
function tileHeader(length: number): Uint8Array {
  const one = encodeFrame(1, 0, [{ col: 0, row: 0, codec: 'png', payload: new Uint8Array(1) }]);
  const rec = one.slice(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + TILE_HEADER_BYTES);
  new DataView(rec.buffer).setUint32(12, length);
  return rec;
}

const CASES: [string, Uint8Array, number][] = [
  ['an empty binary message', new Uint8Array(0), CloseCode.BadMessage],
  ['a lone version byte', new Uint8Array([PROTOCOL_VERSION]), CloseCode.BadMessage],
  ['a frame claiming 65535 tiles with none', forgedFrame(65535), CloseCode.RoomLimit],
  ['a frame claiming 3 tiles with one', forgedFrame(3, tileHeader(0)), CloseCode.BadMessage],
  ['a tile claiming a 4 GiB payload', forgedFrame(1, tileHeader(0xffffffff)), CloseCode.BadMessage],
  [
    'a geometry cut short',
    encodeGeometry({ width: 64, height: 64, tileSize: 64 }).subarray(0, 5),
    CloseCode.BadMessage,
  ],
];

describe.each(ENGINES)('forged presenter input on %s', (engine) => {
  let server: TilecastServer;
  let bystander: Bystander;
  beforeAll(async () => {
    server = await startTestServer(engine);
    bystander = await Bystander.start(server);
  });
  afterAll(async () => {
    await bystander.stop();
    await server.close(0);
  });

  it.each(CASES)('%s closes the presenter alone', async (_name, bytes, code) => {
    const room = await createRoom(server);
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry({ width: 128, height: 64, tileSize: 64 }));
    const viewer = await connect(wsUrl(server, `/ws/view/${room.id}`));
    const rss0 = rssMiB();
    bystander.mark();
    const start = Date.now();
    presenter.send(bytes);
    const closed = await presenter.waitClosed(2000);
    expect(closed.code).toBe(code);
    expect(Date.now() - start).toBeLessThan(500);
    expect(rssMiB() - rss0).toBeLessThan(20);
    expect(viewer.closed).toBeNull(); // its viewers wait for the presenter to come back
    await bystander.expectHealthy(500);
    await viewer.close();
  });
});
