// Every malformed message closes only its sender, with a documented close code, while other rooms go on.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import {
  CloseCode,
  FRAME_HEADER_BYTES,
  MessageType,
  MotionField,
  PROTOCOL_VERSION,
  encodeFrame,
  encodeGeometry,
  encodeSync,
} from '../../shared/protocol';
import { connect } from '../helpers/client';
import { MOTION_REGION, motionMessage } from '../helpers/motion-message';
import { ENGINES, createRoom, startTestServer, wsUrl } from '../helpers/server';

const GEOMETRY = { width: 256, height: 128, tileSize: 64 }; // 4 x 2
const LIMITS = {
  maxMessageBytes: 256 * 1024,
  maxTileBytes: 32 * 1024,
  maxTilesPerFrame: 16,
  maxScreenshotBytes: 128 * 1024,
};
const ok = encodeFrame(1, 0, [{ col: 0, row: 0, codec: 'png', payload: new Uint8Array(10) }]);
const withCodec = ok.slice();
withCodec[FRAME_HEADER_BYTES + 2] = 77;

const motion = (key: boolean, width = 128, region = MOTION_REGION) => motionMessage(key, { width, region });
const keyHoldingDelta = motion(false);
keyHoldingDelta[2] = 1; // flags: key
const nanTs = motion(true);
new DataView(nanTs.buffer).setFloat64(MotionField.captureTs, Number.NaN, true);

// [name, messages the presenter sends after geometry (or instead of it), expected close code, reason pattern]
const CASES: [string, (Uint8Array | string)[], number, RegExp, boolean?][] = [
  ['a truncated frame', [ok.subarray(0, ok.byteLength - 1)], CloseCode.BadMessage, /truncated/],
  [
    'a wrong version byte',
    [new Uint8Array([PROTOCOL_VERSION + 1, MessageType.Frame, 0, 0])],
    CloseCode.UnsupportedVersion,
    /version 2/,
  ],
  [
    'an unknown message type',
    [new Uint8Array([PROTOCOL_VERSION, 0x55])],
    CloseCode.BadMessage,
    /unknown message type 0x55/,
  ],
  [
    'a tile outside the geometry',
    [encodeFrame(1, 0, [{ col: 4, row: 0, codec: 'png', payload: new Uint8Array(1) }])],
    CloseCode.BadMessage,
    /outside the 4x2 grid/,
  ],
  [
    'a tile payload over the limit',
    [encodeFrame(1, 0, [{ col: 0, row: 0, codec: 'png', payload: new Uint8Array(33 * 1024) }])],
    CloseCode.BadMessage,
    /limit 32768/,
  ],
  ['an unknown codec', [withCodec], CloseCode.BadMessage, /unknown codec 77/],
  [
    'too many tiles in one frame',
    [
      encodeFrame(
        1,
        0,
        Array.from({ length: 17 }, () => ({ col: 0, row: 0, codec: 'png' as const, payload: new Uint8Array(1) })),
      ),
    ],
    CloseCode.RoomLimit,
    /17 tiles, limit 16/,
  ],
  [
    'a message over the size limit',
    [new Uint8Array(300 * 1024)],
    CloseCode.MessageTooBig,
    /307200 bytes is over the 262144-byte limit/,
  ],
  ['a message a presenter may not send', [encodeSync(1, 0, 0)], CloseCode.NotAllowed, /may not send message type 0x11/],
  ['a frame before any geometry', [ok], CloseCode.NotAllowed, /frame before geometry/, true],
  [
    'a bad geometry',
    [encodeGeometry({ width: 0, height: 1, tileSize: 64 })],
    CloseCode.BadMessage,
    /bad geometry/,
    true,
  ],
  ['a motion delta before any motion key', [motion(false)], CloseCode.BadMessage, /before any motion key/],
  [
    'a motion delta that changes region without a key',
    [motion(true), motion(false, 128, { col: 1, row: 0, columns: 2, rows: 1 })],
    CloseCode.BadMessage,
    /does not continue the current stream/,
  ],
  [
    'a motion key whose VP8 size is over its region',
    [motion(true, 130)],
    CloseCode.BadMessage,
    /motion key frame is 130x64; its region \(0,0\) 2x1 tiles is 128x64 px/,
  ],
  [
    'a motion region outside the grid',
    [motion(true, 128, { col: 3, row: 0, columns: 2, rows: 1 })],
    CloseCode.BadMessage,
    /outside the 4x2 grid/,
  ],
  ['a motion flagged key holding a VP8 delta', [keyHoldingDelta], CloseCode.BadMessage, /flagged key but holds/],
  ['a motion whose captureTs is not finite', [nanTs], CloseCode.BadMessage, /captureTs NaN is not a finite number/],
  ['a motion before any geometry', [motion(true)], CloseCode.NotAllowed, /motion before geometry/, true],
  ['text that is not JSON', ['{nope'], CloseCode.UnsupportedData, /bad control message/],
  [
    'a control message of unknown type',
    [JSON.stringify({ type: 'shutdown' })],
    CloseCode.UnsupportedData,
    /bad control message/,
  ],
  [
    'frames that overflow the ScreenShot cap',
    [0, 1, 2, 3, 4].map((i) =>
      encodeFrame(i + 1, 0, [{ col: i % 4, row: i >> 2, codec: 'png', payload: randomBytes(30 * 1024) }]),
    ),
    CloseCode.RoomLimit,
    /ScreenShot would hold .* room limit is 131072/,
  ],
];

describe.each(ENGINES)('bad input on %s', (engine) => {
  let server: TilecastServer;
  beforeAll(async () => {
    server = await startTestServer(engine, LIMITS);
  });
  afterAll(() => server.close());

  it.each(CASES)('%s closes only the sender', async (_name, messages, code, reason, noGeometry) => {
    // a healthy room beside the bad one
    const good = await createRoom(server);
    const goodPresenter = await connect(wsUrl(server, `/ws/present/${good.id}?token=${good.presenterToken}`));
    goodPresenter.send(encodeGeometry(GEOMETRY));
    const goodViewer = await connect(wsUrl(server, `/ws/view/${good.id}`));

    const bad = await createRoom(server);
    const badPresenter = await connect(wsUrl(server, `/ws/present/${bad.id}?token=${bad.presenterToken}`));
    const badViewer = await connect(wsUrl(server, `/ws/view/${bad.id}`));
    if (!noGeometry) badPresenter.send(encodeGeometry(GEOMETRY));
    for (const m of messages) badPresenter.send(m);

    const closed = await badPresenter.waitClosed();
    expect(closed.code).toBe(code);
    expect(closed.reason).toMatch(reason);
    expect(badPresenter.of(MessageType.Error)[0]?.code).toBe(code);
    // its viewers are not dropped: they wait for the presenter to come back
    expect(badViewer.closed).toBeNull();

    // the other room goes on
    goodPresenter.send(encodeFrame(7, Date.now(), [{ col: 1, row: 1, codec: 'png', payload: new Uint8Array([7]) }]));
    await goodViewer.waitSync(7);
    expect(goodPresenter.closed).toBeNull();
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    for (const c of [goodPresenter, goodViewer, badViewer]) await c.close();
  });

  it('a failure inside one room closes only that presenter (1011) and a failing observer breaks nothing', async () => {
    const broken = await createRoom(server);
    const healthy = await createRoom(server);
    const brokenRoom = server.rooms.get(broken.id)!;
    brokenRoom.addObserver({
      frame: () => {
        throw new Error('observer bug');
      },
    });
    const p1 = await connect(wsUrl(server, `/ws/present/${broken.id}?token=${broken.presenterToken}`));
    const p2 = await connect(wsUrl(server, `/ws/present/${healthy.id}?token=${healthy.presenterToken}`));
    const v1 = await connect(wsUrl(server, `/ws/view/${broken.id}`));
    const v2 = await connect(wsUrl(server, `/ws/view/${healthy.id}`));
    for (const p of [p1, p2]) p.send(encodeGeometry(GEOMETRY));
    p1.send(ok);
    await v1.waitSync(1); // the observer threw, the room did not care
    expect(p1.closed).toBeNull();
    // now a bug in the room's own path
    brokenRoom.applyFrame = () => {
      throw new TypeError('simulated bug');
    };
    p1.send(ok);
    const closed = await p1.waitClosed();
    expect(closed).toEqual({ code: CloseCode.InternalError, reason: 'internal error' });
    p2.send(ok);
    await v2.waitSync(1);
    expect(p2.closed).toBeNull();
    for (const c of [p2, v1, v2]) await c.close();
  });

  it('a viewer that sends binary is closed alone', async () => {
    const room = await createRoom(server);
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    const viewer = await connect(wsUrl(server, `/ws/view/${room.id}`));
    const other = await connect(wsUrl(server, `/ws/view/${room.id}`));
    viewer.send(encodeGeometry(GEOMETRY));
    expect((await viewer.waitClosed()).code).toBe(CloseCode.NotAllowed);
    presenter.send(encodeGeometry(GEOMETRY));
    presenter.send(ok);
    await other.waitSync(1);
    for (const c of [presenter, other]) await c.close();
  });

  it('a viewer may not end the room', async () => {
    const room = await createRoom(server);
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    const viewer = await connect(wsUrl(server, `/ws/view/${room.id}`));
    viewer.send(JSON.stringify({ type: 'end' }));
    expect((await viewer.waitClosed()).code).toBe(CloseCode.NotAllowed);
    expect(server.rooms.get(room.id)!.ended).toBe(false);
    await presenter.close();
  });

  it('a foreign Origin is refused at upgrade; same origin is accepted', async () => {
    const room = await createRoom(server);
    const url = wsUrl(server, `/ws/view/${room.id}`);
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(url, { origin: 'http://evil.example' });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    expect(status).toBe(403);
    const same = await connect(url, { origin: `http://127.0.0.1:${server.port}` });
    expect(same.closed).toBeNull();
    await same.close();
  });

  it('an unknown WebSocket path is refused with 404', async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl(server, '/ws/other/x'));
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => {});
    });
    expect(status).toBe(404);
  });
});
