// Control-message floods: a per-connection token bucket closes floods with 4429, and replies (pongs) are not
// queued for a socket over its high-water mark, so a peer that sends without reading cannot grow server memory.
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { CloseCode, encodeFrame, encodeGeometry } from '../../shared/protocol';
import { Bystander } from '../helpers/bystander';
import { connect } from '../helpers/client';
import { Opcode, RawSocket, clientFrame } from '../helpers/raw-socket';
import { ENGINES, createRoom, sleep, startTestServer, waitFor, wsUrl } from '../helpers/server';

const RATE = 100;
const BURST = 200;
const rssMiB = () => process.memoryUsage().rss / 1024 / 1024;

describe.each(ENGINES)('control-message floods on %s', (engine) => {
  let server: TilecastServer;
  let bystander: Bystander;
  beforeAll(async () => {
    server = await startTestServer(engine, {
      controlRatePerSecond: RATE,
      controlBurst: BURST,
      viewerHighWaterBytes: 64 * 1024,
    });
    bystander = await Bystander.start(server);
  });
  afterAll(async () => {
    await bystander.stop();
    await server.close(0);
  });

  it('a viewer within the rate is never closed', async () => {
    const room = await createRoom(server);
    const viewer = await connect(wsUrl(server, `/ws/view/${room.id}`));
    for (let i = 0; i < 10; i++) {
      for (let j = 0; j < 20; j++) viewer.send(JSON.stringify({ type: 'ack', syncs: 0 })); // 20 per 250 ms = 80/s
      await sleep(250);
    }
    viewer.send(JSON.stringify({ type: 'ping', t: 1 }));
    await waitFor('pong', () => viewer.control.some((c) => c.type === 'pong'));
    expect(viewer.closed).toBeNull();
    await viewer.close();
  });

  it('a viewer sending 5000 acks a second is closed with 4429', async () => {
    const room = await createRoom(server);
    const viewer = await connect(wsUrl(server, `/ws/view/${room.id}`));
    bystander.mark();
    const start = Date.now();
    const ack = JSON.stringify({ type: 'ack', syncs: 0 });
    const timer = setInterval(() => {
      for (let i = 0; i < 50; i++) if (viewer.ws.readyState === 1) viewer.send(ack);
    }, 10);
    const closed = await viewer.waitClosed(3000).finally(() => clearInterval(timer));
    expect(closed.code).toBe(CloseCode.RateLimited);
    expect(closed.reason).toMatch(/more than 100 control messages a second/);
    expect(Date.now() - start).toBeLessThan(1000); // the burst of 200 lasts ~40 ms at 5000/s
    await bystander.expectHealthy(500);
  });

  it('a viewer sending ~50,000 pings a second without reading is closed and server memory stays bounded', async () => {
    const room = await createRoom(server);
    const viewer = await RawSocket.upgrade(server.port, `/ws/view/${room.id}`);
    viewer.stall();
    const rss0 = rssMiB();
    bystander.mark();
    const ping = clientFrame(Opcode.Text, Buffer.from(JSON.stringify({ type: 'ping', t: 1 })));
    const batch = Buffer.concat(Array.from({ length: 500 }, () => ping));
    const start = Date.now();
    // 500 pings every 10 ms for up to 3 s, until the server stops the room from counting the viewer
    while (Date.now() - start < 3000 && server.rooms.get(room.id)!.viewerCount > 0) {
      viewer.write(batch);
      await sleep(10);
    }
    const dropped = Date.now() - start;
    expect(server.rooms.get(room.id)!.viewerCount).toBe(0);
    expect(dropped).toBeLessThan(1000);
    expect(rssMiB() - rss0).toBeLessThan(50); // was +268 MB on ws, never closed
    viewer.resume(); // now read what the server sent: the close frame says why
    await waitFor('close frame', () => viewer.close, 5000);
    expect(viewer.close!.code).toBe(CloseCode.RateLimited);
    await bystander.expectHealthy(500);
    viewer.destroy();
  });

  it('pong replies are not queued for a viewer over its high-water mark', async () => {
    const room = await createRoom(server);
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry({ width: 64, height: 64, tileSize: 64 }));
    const viewer = await RawSocket.upgrade(server.port, `/ws/view/${room.id}`);
    await waitFor('welcome', () => viewer.texts.length === 1);
    viewer.stall();
    // Incompressible 64x64 tiles (~12 KB: messages under 16 KiB, so uWS's direct-write path, issue 8 part 1,
    // plays no part) until the stalled viewer's kernel buffers and then its server buffer are full.
    const noise = await sharp(randomBytes(64 * 64 * 3), { raw: { width: 64, height: 64, channels: 3 } })
      .png()
      .toBuffer();
    const v = server.rooms.get(room.id)!;
    // The presenter keeps sending throughout, so whenever the kernel takes bytes the fan-out refills the socket.
    let seq = 0;
    const pump = setInterval(() => {
      for (let i = 0; i < 20; i++)
        presenter.send(encodeFrame(++seq, Date.now(), [{ col: 0, row: 0, codec: 'png', payload: noise }]));
    }, 5);
    try {
      await sleep(1500); // ~70 MB offered: every buffer between server and viewer is full by now
      expect(v.viewerCount).toBe(1);
      const ping = clientFrame(Opcode.Text, Buffer.from(JSON.stringify({ type: 'ping', t: 1 })));
      for (let i = 0; i < 50; i++) viewer.write(ping);
      await sleep(300);
    } finally {
      clearInterval(pump);
    }
    viewer.resume();
    await sleep(1000);
    // the frames arrive (the viewer catches up), the pongs asked for while it was over the mark were dropped
    expect(viewer.messages).toBeGreaterThan(1);
    expect(viewer.texts.filter((t) => t.includes('"pong"'))).toHaveLength(0);
    viewer.destroy();
    await presenter.close();
  });
});
