// Snapshots and recording frames are bounded: clamped output size, a small shared queue (503 when full), work
// stops when the client leaves, and image work never starves recording I/O or other rooms.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { MAX_OUTPUT_SIDE } from '../../server/imaging/render-tiles';
import { type Geometry, encodeFrame, encodeGeometry, gridShape } from '../../shared/protocol';
import { type TestClient, connect } from '../helpers/client';
import { ENGINES, type CreatedRoom, createRoom, sleep, startTestServer, waitFor, wsUrl } from '../helpers/server';
import { rssMB, startHeartbeat } from './helpers';

/** A gradient tile: every pixel is decoded, yet the PNG is small enough for 4096 of them in one frame. */
async function gradientPng(size: number, seed: number): Promise<Buffer> {
  const raw = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++)
      raw.set([(x * 2) & 255, (seed * 30) & 255, 255 - ((x * 2) & 255)], (y * size + x) * 3);
  return sharp(raw, { raw: { width: size, height: size, channels: 3 } })
    .png({ compressionLevel: 9 })
    .toBuffer();
}

async function presentPicture(
  server: TilecastServer,
  geometry: Geometry,
): Promise<{ room: CreatedRoom; presenter: TestClient }> {
  const room = await createRoom(server);
  const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
  presenter.send(encodeGeometry(geometry));
  const { columns, tiles } = gridShape(geometry);
  const payloads = await Promise.all(Array.from({ length: 8 }, (_, k) => gradientPng(geometry.tileSize, k)));
  const list = Array.from({ length: tiles }, (_, i) => ({
    col: i % columns,
    row: Math.floor(i / columns),
    codec: 'png' as const,
    payload: payloads[i % 8],
  }));
  presenter.send(encodeFrame(1, Date.now(), list));
  await waitFor('picture', () => server.rooms.get(room.id)!.info().framesIn === 1);
  return { room, presenter };
}

describe.each(ENGINES)('image work on %s', (engine) => {
  let server: TilecastServer;
  let dir: string;
  let huge: CreatedRoom;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), `tilecast-images-${engine}-`));
    server = await startTestServer(engine, { recordingsDir: dir, recordingFlushMs: 20, imageJobs: 2, imageQueue: 2 });
    huge = (await presentPicture(server, { width: 8192, height: 8192, tileSize: 128 })).room; // 4096 tiles
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it(`output is clamped to ${MAX_OUTPUT_SIDE} px a side and never upscaled: a 128x8192 room at width=8192`, async () => {
    const { room, presenter } = await presentPicture(server, { width: 128, height: 8192, tileSize: 128 });
    const started = Date.now();
    const res = await fetch(`${server.url}/api/rooms/${room.id}/snapshot.png?width=8192`);
    expect(res.status).toBe(200);
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([64, MAX_OUTPUT_SIDE]);
    expect(Date.now() - started).toBeLessThan(5000);
    await presenter.close();
  });

  it('huge snapshots in flight: the queue answers 503 when full, /api/recordings answers fast, a live recording keeps writing, another room keeps its frames, and leaving clients stop the work', async () => {
    const recorded = await createRoom(server, { record: true });
    const heartbeat = await startHeartbeat(server);
    // the recorded room is the heartbeat's twin: a presenter sending a small frame every 20 ms
    const recPresenter = await connect(wsUrl(server, `/ws/present/${recorded.id}?token=${recorded.presenterToken}`));
    recPresenter.send(encodeGeometry({ width: 64, height: 64, tileSize: 64 }));
    const tile = await gradientPng(64, 1);
    let seq = 0;
    const ticker = setInterval(
      () => recPresenter.send(encodeFrame(++seq, Date.now(), [{ col: 0, row: 0, codec: 'png', payload: tile }])),
      20,
    );
    const duration = async () =>
      ((await (await fetch(`${server.url}/api/recordings/${recordingId}`)).json()) as { durationMs: number })
        .durationMs;
    await waitFor('recording to start', () => seq > 5);
    // the recording file exists once a presenter started
    const recordingId = (
      (await (await fetch(`${server.url}/api/rooms/${recorded.id}`)).json()) as { recording: string }
    ).recording;
    await sleep(200);

    const rss = rssMB();
    let peak = rss;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMB())), 10);
    // 2 run, 2 wait, the other 2 are refused at once
    const aborts = Array.from({ length: 6 }, () => new AbortController());
    const answered: Response[] = [];
    aborts.forEach((a, i) =>
      fetch(`${server.url}/api/rooms/${huge.id}/snapshot.${i % 2 ? 'png' : 'webp'}?width=8192`, { signal: a.signal })
        .then((r) => answered.push(r))
        .catch(() => {}),
    );
    // requests race on separate connections: whichever two come last are refused
    await waitFor('two refusals', () => answered.length >= 2, 3000);
    expect([server.images.active, server.images.queued]).toEqual([2, 2]);
    expect(answered.map((r) => r.status)).toEqual([503, 503]);
    for (const r of answered) expect(((await r.json()) as { error: { code: string } }).error.code).toBe('IMAGE_BUSY');

    // while 4 huge images are in the works: recording I/O and listing go on
    const before = await duration();
    const latencies: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = Date.now();
      const list = await fetch(`${server.url}/api/recordings`);
      expect(list.status).toBe(200);
      latencies.push(Date.now() - t);
      await sleep(100);
    }
    expect(server.images.active + server.images.queued).toBeGreaterThan(0); // the storm was still on
    const after = await duration();
    expect(Math.max(...latencies)).toBeLessThan(300);
    expect(after - before).toBeGreaterThan(300);

    // clients leave: queued work never starts, running work stops at its next tile
    const left = Date.now();
    for (const a of aborts) a.abort();
    await waitFor('image queue to empty', () => server.images.active === 0 && server.images.queued === 0, 5000);
    const stopMs = Date.now() - left;
    clearInterval(ticker);
    clearInterval(sampler);
    // two canvases of 4096x4096 RGB (48 MiB each) and what sharp holds per tile: not 290 MB per render
    expect(peak - rss).toBeLessThan(250);
    const { syncs, maxGapMs } = await heartbeat.stop();
    expect(syncs).toBeGreaterThan(10);
    expect(maxGapMs).toBeLessThan(500);
    // what a full render costs, for comparison with how fast the abandoned ones stopped
    const full = Date.now();
    expect((await fetch(`${server.url}/api/rooms/${huge.id}/snapshot.png?width=8192`)).status).toBe(200);
    const fullMs = Date.now() - full;
    expect(stopMs).toBeLessThan(fullMs);
    console.log(
      `[${engine}] /api/recordings max ${Math.max(...latencies)} ms during the storm; recording grew ${after - before} ms; abandoned renders stopped in ${stopMs} ms; one full 4096x4096 render ${fullMs} ms; RSS +${(peak - rss).toFixed(0)} MB; heartbeat max gap ${maxGapMs} ms`,
    );
    await recPresenter.close();
  });
});
