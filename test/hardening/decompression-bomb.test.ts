// Decompression bombs: refused at ingest by their header, and refused (not decoded) by every image path even when
// they got into a recording, with bounded memory while another room goes on.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { createRecorder } from '../../server/recording';
import { ScreenShot } from '../../server/room/screenshot';
import { CloseCode, type Geometry, encodeFrame, encodeGeometry, encodeTile } from '../../shared/protocol';
import { connect } from '../helpers/client';
import { ENGINES, createRoom, startTestServer, waitFor, wsUrl } from '../helpers/server';
import { pngBomb, rssMB, solidPng, startHeartbeat, tiffBomb } from './helpers';

const GEOMETRY: Geometry = { width: 128, height: 64, tileSize: 64 };

/** Writes a finished recording whose one frame holds `payloads` as tiles (0,0), (1,0)... */
async function craftRecording(dir: string, payloads: Uint8Array[]): Promise<string> {
  const recorder = createRecorder(dir, 'crafted', { flushMs: 10 }, pino({ level: 'silent' }));
  const screenshot = new ScreenShot(1 << 30);
  screenshot.reset(GEOMETRY);
  recorder.geometry?.(GEOMETRY, recorder.startedAt + 1);
  const tiles = payloads.map((payload, i) => ({
    index: i,
    col: i,
    row: 0,
    seq: 1,
    message: encodeTile({ col: i, row: 0, codec: 'png', payload }, 1),
  }));
  const frame = { seq: 1, captureTs: recorder.startedAt + 5, receivedAt: recorder.startedAt + 10, tiles, ingestNo: 1 };
  recorder.frame?.(frame, screenshot.apply(frame));
  recorder.ended?.('crafted');
  await recorder.finished;
  return recorder.id;
}

describe.each(ENGINES)('decompression bombs on %s', (engine) => {
  let server: TilecastServer;
  let dir: string;
  let bomb: Buffer;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), `tilecast-bomb-${engine}-`));
    server = await startTestServer(engine, { recordingsDir: dir });
    bomb = pngBomb(14000, 14000);
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function presenting() {
    const room = await createRoom(server);
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    return { room, presenter };
  }

  it('a 24 KB PNG declaring 14000x14000 is refused at ingest: 4000 with the sizes, nothing reaches viewers', async () => {
    expect(bomb.length).toBeLessThan(32 * 1024);
    const { room, presenter } = await presenting();
    const viewer = await connect(wsUrl(server, `/ws/view/${room.id}`));
    const rss = rssMB();
    const sent = Date.now();
    presenter.send(encodeFrame(1, Date.now(), [{ col: 0, row: 0, codec: 'png', payload: bomb }]));
    const closed = await presenter.waitClosed();
    expect(Date.now() - sent).toBeLessThan(1000);
    expect(closed.code).toBe(CloseCode.BadMessage);
    expect(closed.reason).toContain('png of 14000x14000');
    expect(closed.reason).toContain('64x64');
    expect(server.rooms.get(room.id)!.info().framesIn).toBe(0);
    expect(viewer.tilesReceived()).toBe(0);
    expect(rssMB() - rss).toBeLessThan(50);
    await viewer.close();
  });

  it('JPEG and WebP headers are checked too, and an edge tile must match its clipped rectangle', async () => {
    const cases: [Uint8Array, string][] = [
      [
        await sharp({ create: { width: 65, height: 64, channels: 3, background: '#000' } })
          .jpeg()
          .toBuffer(),
        'jpeg of 65x64',
      ],
      [
        await sharp({ create: { width: 64, height: 63, channels: 3, background: '#000' } })
          .webp()
          .toBuffer(),
        'webp of 64x63',
      ],
      [
        await sharp({ create: { width: 64, height: 64, channels: 3, background: '#000' } })
          .webp({ lossless: true })
          .toBuffer(),
        null!,
      ],
    ];
    for (const [payload, expected] of cases) {
      const { presenter } = await presenting();
      presenter.send(encodeFrame(1, Date.now(), [{ col: 0, row: 0, codec: 'webp', payload }]));
      if (expected === null) {
        // the right size is accepted; then an edge tile of the full tile size is not (the screen is 100 wide)
        presenter.send(encodeGeometry({ width: 100, height: 64, tileSize: 64 }));
        presenter.send(encodeFrame(2, Date.now(), [{ col: 1, row: 0, codec: 'png', payload: await solidPng(36, 64) }]));
        presenter.send(encodeFrame(3, Date.now(), [{ col: 1, row: 0, codec: 'png', payload: await solidPng(64, 64) }]));
        expect((await presenter.waitClosed()).reason).toContain('png of 64x64; its rectangle is 36x64');
        continue;
      }
      const closed = await presenter.waitClosed();
      expect(closed.code).toBe(CloseCode.BadMessage);
      expect(closed.reason).toContain(expected);
    }
  });

  it('a recording holding bombs answers frame.png with 422 and never decodes them; RSS stays bounded; another room goes on', async () => {
    const heartbeat = await startHeartbeat(server);
    const id = await craftRecording(dir, [bomb, bomb]);
    const tiff = await craftRecording(dir, [await solidPng(64, 64), await tiffBomb(14000, 14000)]);
    const rss = rssMB();
    let peak = rss;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMB())), 5);
    // For a second, batches of parallel requests, as a hostile client would; both the header check and sharp's
    // pixel limit must hold, and the heartbeat room must not notice.
    const answers: Response[] = [];
    let slowest = 0;
    for (const until = Date.now() + 1000; Date.now() < until; ) {
      const started = Date.now();
      answers.push(
        ...(await Promise.all(
          [id, id, tiff, tiff, id, tiff].map((rec, i) =>
            fetch(`${server.url}/api/recordings/${rec}/frame.${['png', 'jpeg', 'webp'][i % 3]}?t=0.01`),
          ),
        )),
      );
      slowest = Math.max(slowest, Date.now() - started);
    }
    clearInterval(sampler);
    for (const res of answers) {
      // 503 IMAGE_BUSY is a fair answer to the ones that found the image queue full
      expect([422, 503]).toContain(res.status);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe(res.status === 422 ? 'TILE_TOO_LARGE' : 'IMAGE_BUSY');
    }
    expect(answers.filter((r) => r.status === 422).length).toBeGreaterThanOrEqual(12);
    const first = (await (await fetch(`${server.url}/api/recordings/${id}/frame.png?t=0.01`)).json()) as {
      error: { message: string };
    };
    expect(first.error.message).toContain('declares 14000x14000');
    const second = (await (await fetch(`${server.url}/api/recordings/${tiff}/frame.png?t=0.01`)).json()) as {
      error: { message: string };
    };
    expect(second.error.message).toContain('larger than its rectangle');
    expect(slowest).toBeLessThan(1000);
    expect(peak - rss).toBeLessThan(100);
    const { syncs, maxGapMs } = await heartbeat.stop();
    expect(syncs).toBeGreaterThan(0);
    expect(maxGapMs).toBeLessThan(500);
  });

  it('a tile of a format ingest does not read (TIFF) is still never decoded past its rectangle by a snapshot', async () => {
    const { room, presenter } = await presenting();
    presenter.send(
      encodeFrame(1, Date.now(), [{ col: 1, row: 0, codec: 'png', payload: await tiffBomb(14000, 14000) }]),
    );
    await waitFor('frame', () => server.rooms.get(room.id)!.info().framesIn === 1);
    const rss = rssMB();
    const res = await fetch(`${server.url}/api/rooms/${room.id}/snapshot.png`);
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('TILE_TOO_LARGE');
    expect(rssMB() - rss).toBeLessThan(50);
    await presenter.close();
  });
});
