// A recording whose writes start failing (the disk is full) is marked failed within seconds, with the reason, in its
// API entry; what is durable keeps being served; the live room goes on. The failure is real: the server runs with
// RLIMIT_FSIZE (`ulimit -f`), so the kernel refuses the recorder's writev past the limit (EFBIG), the same error
// path as ENOSPC.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeFrame, encodeGeometry } from '../../shared/protocol';
import { RecordType, readFileHeaderPrefix, scanRecords } from '../../shared/recording/format';
import { connect } from '../helpers/client';
import { ENGINES, sleep, waitFor } from '../helpers/server';
import { type ServerProcess, startServerProcess, stopServerProcess } from '../helpers/server-process';

const LIMIT_KIB = 1024;
const TILE = 256;
const GEOMETRY = { width: 2 * TILE, height: TILE, tileSize: TILE };

/** Incompressible PNG tiles (~197 KB each): two frames' worth of data are most of the file-size limit. */
async function noisePng(): Promise<Buffer> {
  return sharp(randomBytes(TILE * TILE * 3), { raw: { width: TILE, height: TILE, channels: 3 } })
    .png({ compressionLevel: 0 })
    .toBuffer();
}

async function poll<T>(what: string, check: () => Promise<T | null>, timeoutMs = 5000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

describe.each(ENGINES)('recording on a full disk on %s', (engine) => {
  let server: ServerProcess;
  let dir: string;
  let pngs: Buffer[];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), `tilecast-diskfull-${engine}-`));
    pngs = await Promise.all([0, 1, 2, 3].map(noisePng));
    server = await startServerProcess(
      [
        '--engine',
        engine,
        '--recordings-dir',
        dir,
        '--record-by-default',
        'true',
        '--recording-flush-ms',
        '100',
        '--keyframe-interval-seconds',
        '3600',
        '--log-level',
        'warn',
      ],
      { fileSizeLimitKiB: LIMIT_KIB },
    );
  }, 60_000);
  afterAll(async () => {
    await stopServerProcess(server);
    await rm(dir, { recursive: true, force: true });
  });

  it('marks the recording failed with the reason within seconds, serves what is durable, and the room goes on', async () => {
    const api = (p: string, init?: RequestInit) => fetch(`${server.url}${p}`, init);
    const room = await (await api('/api/rooms', { method: 'POST', body: '{}' })).json();
    const ws = (p: string) => `ws://127.0.0.1:${server.port}${p}`;
    const presenter = await connect(ws(`/ws/present/${room.id}?token=${room.presenterToken}`));
    const viewer = await connect(ws(`/ws/view/${room.id}`));
    presenter.send(encodeGeometry(GEOMETRY));
    const recording: string = await (async () => {
      for (;;) {
        const id = (await (await api(`/api/rooms/${room.id}`)).json()).recording;
        if (id) return id;
        await sleep(20);
      }
    })();
    const frame = (seq: number) =>
      encodeFrame(
        seq,
        Date.now(),
        [0, 1].map((col) => ({ col, row: 0, codec: 'png' as const, payload: pngs[(seq + col) % 4] })),
      );

    // Two frames fit (each ~400 KB, flushed separately); the third crosses the limit.
    let seq = 0;
    for (; seq < 2; seq++) {
      presenter.send(frame(seq + 1));
      await sleep(300);
    }
    let info = await (await api(`/api/recordings/${recording}`)).json();
    expect(info.status).toBe('recording');
    const crossedAt = Date.now();
    presenter.send(frame(++seq));
    info = await poll('failed', async () => {
      const got = await (await api(`/api/recordings/${recording}`)).json();
      return got.status === 'failed' ? got : null;
    });
    const took = Date.now() - crossedAt;
    console.log(`[${engine}] recording marked failed ${took} ms after the write past the limit: ${info.failure}`);
    expect(took).toBeLessThan(3000);
    expect(info.failure).toMatch(/write failed \(EFBIG\)/);
    expect(info.live.failed).toBe(info.failure);
    expect(info.size).toBeGreaterThan(0);
    expect(info.size).toBeLessThanOrEqual(LIMIT_KIB * 1024);

    // The live room goes on: the viewer keeps getting frames after the failure.
    const before = viewer.tilesReceived();
    for (let i = 0; i < 3; i++) {
      presenter.send(frame(++seq));
      await sleep(50);
    }
    await waitFor('frames after the failure', () => viewer.tilesReceived() >= before + 6, 3000);
    expect((await (await api(`/api/rooms/${room.id}`)).json()).presenter).toBe('live');

    // What is durable is served, whole records only.
    const checkDurable = async (expectSize: number | null) => {
      const res = await api(`/api/recordings/${recording}/data`);
      expect(res.status).toBe(200);
      const bytes = new Uint8Array(await res.arrayBuffer());
      if (expectSize !== null) expect(bytes.length).toBe(expectSize);
      const prefix = readFileHeaderPrefix(bytes);
      if ('error' in prefix) throw new Error(prefix.error);
      const start = 16 + prefix.jsonBytes;
      const types: number[] = [];
      const { stop } = scanRecords(bytes.subarray(start), start, (r) => void types.push(r.type), true);
      expect(stop).not.toBe('invalid');
      expect(types).toContain(RecordType.Keyframe);
      return bytes.length;
    };
    await checkDurable(info.size);
    expect((await api(`/api/recordings/${recording}/frame.png?t=${info.durationMs / 1000}`)).status).toBe(200);

    // After the room ends the entry still says failed (and why), and the durable part is still served.
    presenter.send(JSON.stringify({ type: 'end' }));
    await presenter.waitClosed();
    const ended = await poll('recording closed', async () => {
      const got = await (await api(`/api/recordings/${recording}`)).json();
      return got.inProgress === false ? got : null;
    });
    expect(ended).toMatchObject({ status: 'failed', failure: info.failure });
    expect(ended.keyframes).toBeGreaterThan(0);
    await checkDurable(null);
    // Other rooms are unaffected: new rooms are created and presented as usual.
    expect((await api('/api/rooms', { method: 'POST', body: '{"record":false}' })).status).toBe(201);
  }, 30_000);
});
