// The recordings folder never follows symbolic links: a link in it pointing at a crashed recording outside is not
// repaired through the link (the outside file stays byte for byte), nor read, listed or served; the same crashed
// bytes as a regular file in the folder are repaired, which shows the link was the only difference.
import { lstat, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { type Recorder, RecordingStore } from '../../server/recording';
import { newRecordingId } from '../../server/recording/recording-id';
import { ScreenShot } from '../../server/room/screenshot';
import { ENGINES, startTestServer } from '../helpers/server';
import { buildSession, tileEntry } from '../recording/synthetic';

let scratch: string;
let crashedBytes: Buffer;
let finishedFile: string;

/** A recording as a killed writer leaves it: no end record, no index, half a record at the end. */
async function makeRecordings(): Promise<void> {
  scratch = await mkdtemp(path.join(tmpdir(), 'tilecast-symlink-src-'));
  const store = new RecordingStore(scratch, pino({ level: 'silent' }));
  const session = await buildSession(60, 50);
  const recorder: Recorder = store.record('room-x', { keyframeIntervalSeconds: 1, flushMs: 20 });
  const screenshot = new ScreenShot(64 * 1024 * 1024);
  screenshot.reset(session[0].geometry);
  recorder.geometry?.(session[0].geometry, recorder.startedAt);
  for (const f of session) {
    const frame = {
      seq: f.seq,
      captureTs: 0,
      receivedAt: recorder.startedAt + f.timeMs,
      tiles: f.tiles.map((t) => tileEntry(t, f.seq)),
      ingestNo: f.seq,
    };
    recorder.frame?.(frame, screenshot.apply(frame));
  }
  while (recorder.stats().bytesPending > 0) await new Promise((r) => setTimeout(r, 10));
  const durable = await readFile(recorder.path);
  crashedBytes = Buffer.concat([durable, durable.subarray(durable.length - 40)]); // a torn tail
  recorder.ended?.('done');
  await recorder.finished;
  finishedFile = recorder.path;
}

beforeAll(makeRecordings);
afterAll(() => rm(scratch, { recursive: true, force: true }));

describe.each(ENGINES)('recordings folder symlinks on %s', (engine) => {
  let server: TilecastServer;
  let inside: string;
  let outside: string;

  beforeAll(async () => {
    inside = await mkdtemp(path.join(tmpdir(), `tilecast-symlink-in-${engine}-`));
    outside = await mkdtemp(path.join(tmpdir(), `tilecast-symlink-out-${engine}-`));
    server = await startTestServer(engine, { recordingsDir: inside });
  });
  afterAll(async () => {
    await server.close();
    await rm(inside, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('a link to a crashed recording outside is neither repaired through nor served; the outside file is untouched', async () => {
    const id = newRecordingId();
    const target = path.join(outside, `${id}.tcrec`);
    await writeFile(target, crashedBytes);
    const before = await stat(target);
    await symlink(target, path.join(inside, `${id}.tcrec`));
    // a lock file link too: reading a pid through it must not happen either
    await symlink(path.join(outside, 'pid'), path.join(inside, `${id}.tcrec.lock`));

    for (const suffix of ['', '/data', '/keyframes', '/frame.png?t=0', '/data?t=0']) {
      const res = await fetch(`${server.url}/api/recordings/${id}${suffix}`);
      expect(res.status, suffix).toBe(404);
      expect((await res.json()).error.code).toBe('RECORDING_NOT_FOUND');
    }
    const list = (await (await fetch(`${server.url}/api/recordings`)).json()).recordings;
    expect(list.map((r: { id: string }) => r.id)).not.toContain(id);

    const after = await stat(target);
    expect(Buffer.compare(await readFile(target), crashedBytes)).toBe(0);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
    expect((await lstat(path.join(inside, `${id}.tcrec`))).isSymbolicLink()).toBe(true);
    // deleting removes nothing outside either
    expect((await fetch(`${server.url}/api/recordings/${id}`, { method: 'DELETE' })).status).toBe(404);
    expect(Buffer.compare(await readFile(target), crashedBytes)).toBe(0);
  });

  it('a link to a finished recording outside is not read', async () => {
    const id = newRecordingId();
    await symlink(finishedFile, path.join(inside, `${id}.tcrec`));
    expect((await fetch(`${server.url}/api/recordings/${id}/data`)).status).toBe(404);
  });

  it('control: the same crashed bytes as a regular file in the folder are repaired (so the test above can fail)', async () => {
    const id = newRecordingId();
    const file = path.join(inside, `${id}.tcrec`);
    await writeFile(file, crashedBytes);
    const res = await fetch(`${server.url}/api/recordings/${id}`);
    expect(res.status).toBe(200);
    expect((await res.json()).recovered).not.toBeNull();
    expect(Buffer.compare(await readFile(file), crashedBytes)).not.toBe(0);
  });
});
