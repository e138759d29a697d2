// The recorder and store without a server: a synthetic room drives the observer hooks with controlled times.
import { mkdtemp, readFile, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { RecordType, scanRecords } from '../../shared/recording/format';
import { renderTiles, tileImages } from '../../server/imaging/render-tiles';
import { type Recorder, RecordingStore, pictureAt, seekKeyframe } from '../../server/recording';
import { ScreenShot } from '../../server/room/screenshot';
import {
  type KnownFrame,
  buildSession,
  cursorMessage,
  expectedPixels,
  expectedTiles,
  frameAt,
  rgbOf,
  tileEntry,
} from './synthetic';

const log = pino({ level: 'silent' });
let dir: string;
let store: RecordingStore;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tilecast-rec-'));
  store = new RecordingStore(dir, log);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface RoomState {
  screenshot: ScreenShot;
  geometry: KnownFrame['geometry'] | null;
}

/** Plays frames into a recorder the way a Room calls its observers; pass `room` to continue a session. */
function play(
  recorder: Recorder,
  frames: KnownFrame[],
  room: RoomState = { screenshot: new ScreenShot(64 * 1024 * 1024), geometry: null },
): RoomState {
  const { screenshot } = room;
  for (const f of frames) {
    const at = recorder.startedAt + f.timeMs;
    if (f.geometry !== room.geometry) {
      const geometry = (room.geometry = f.geometry);
      screenshot.reset(geometry);
      recorder.geometry?.(geometry, at - 1);
    }
    const frame = {
      seq: f.seq,
      captureTs: at - 5,
      receivedAt: at,
      tiles: f.tiles.map((t) => tileEntry(t, f.seq)),
      ingestNo: f.seq,
    };
    recorder.frame?.(frame, screenshot.apply(frame));
    if (f.cursor) recorder.cursor?.(cursorMessage(f.cursor.x, f.cursor.y), f.cursor.x, f.cursor.y, true, at);
  }
  return room;
}

/** Waits (polling) until the recorder has nothing waiting for the disk. */
async function drained(recorder: Recorder, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (recorder.stats().bytesPending > 0) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`recorder still has ${recorder.stats().bytesPending} bytes pending`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function sameTiles(actual: Map<number, Uint8Array>, expected: Map<number, Uint8Array>): boolean {
  if (actual.size !== expected.size) return false;
  for (const [i, m] of expected) if (!actual.has(i) || Buffer.compare(actual.get(i)!, m) !== 0) return false;
  return true;
}

describe('recording a synthetic session', () => {
  let session: KnownFrame[];
  let id: string;

  beforeAll(async () => {
    // 60 s at 10 fps, keyframes every 2 s, a geometry change at frame 350.
    session = await buildSession(600, 100, 350);
    const recorder = store.record('room-a', { keyframeIntervalSeconds: 2, flushMs: 50 });
    id = recorder.id;
    play(recorder, session);
    recorder.ended?.('presenter ended');
    await recorder.finished;
  });

  test('has a keyframe index with one entry per interval plus one per geometry change', async () => {
    const h = await store.open(id);
    expect(h.inProgress).toBe(false);
    expect(h.recovered).toBeNull();
    expect(h.durationMs).toBe(60_000);
    // geometry keyframes at 99 ms and 34_999 ms, interval keyframes every 2 s within each geometry
    expect(h.keyframes).toBeGreaterThanOrEqual(31);
    expect(h.keyframes).toBeLessThanOrEqual(33);
    expect(h.size).toBe((await stat(h.path)).size);
  });

  test('seeks to the last keyframe at or before a time (binary search)', async () => {
    const h = await store.open(id);
    for (const t of [0, 100, 1999, 2100, 34_998, 35_000, 59_999, 60_000]) {
      const s = seekKeyframe(h, t)!;
      expect(s.keyframeTimeMs).toBeLessThanOrEqual(Math.max(t, h.index.timeAt(0)));
      if (s.keyframe + 1 < h.keyframes) expect(h.index.timeAt(s.keyframe + 1)).toBeGreaterThan(t);
    }
  });

  test('the picture at many times is exactly the known frame at that time', async () => {
    const h = await store.open(id);
    for (let t = 0; t <= 60_000; t += 137) {
      const picture = await pictureAt(h, t);
      const known = frameAt(session, t);
      if (!known) continue;
      const tiles = new Map(
        picture!.filledTiles().map((x) => [x.row * Math.ceil(picture!.geometry!.width / 16) + x.col, x.message]),
      );
      expect(picture!.seq, `seq at ${t} ms`).toBe(known.seq);
      expect(sameTiles(tiles, expectedTiles(session, known.seq)), `tiles at ${t} ms`).toBe(true);
      expect(picture!.geometry).toEqual(known.geometry);
    }
  });

  test('rendered pixels (sharp) equal the known frame', async () => {
    const h = await store.open(id);
    for (const t of [100, 5_050, 34_900, 35_000, 47_321, 60_000]) {
      const known = frameAt(session, t)!;
      const picture = (await pictureAt(h, t))!;
      const png = await renderTiles(picture.geometry!, tileImages(picture.tiles), 'png');
      const got = await rgbOf(png);
      const want = expectedPixels(session, known.seq);
      expect([got.width, got.height]).toEqual([want.geometry.width, want.geometry.height]);
      expect(Buffer.compare(Buffer.from(got.rgb), Buffer.from(want.rgb)), `pixels at ${t} ms`).toBe(0);
    }
  });

  test('cursor moves are recorded and carried by keyframes', async () => {
    const h = await store.open(id);
    const picture = (await pictureAt(h, 40_050))!;
    expect(picture.cursor).toEqual({ x: 400 % 70, y: 400 % 40, visible: true });
  });
});

describe('crash recovery', () => {
  test('a file without index, with a torn last record, is cut, re-indexed and playable', async () => {
    const session = await buildSession(200, 100);
    const recorder = store.record('room-b', { keyframeIntervalSeconds: 1, flushMs: 20 });
    play(recorder, session);
    // Wait for the flush, then copy the file as a crashed process would leave it: no end, no index.
    await drained(recorder);
    const bytes = await readFile(recorder.path);
    recorder.ended?.('test');
    await recorder.finished;
    const crashedId = recorder.id.slice(0, -1) + (recorder.id.endsWith('z') ? 'y' : 'z');
    const crashed = path.join(dir, `${crashedId}.tcrec`);
    // Everything up to the last full record, then half a frame record.
    let validEnd = 0;
    let lastFrame = 0;
    const dataStart = 16 + new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
    scanRecords(bytes.subarray(dataStart), dataStart, (r) => {
      if (r.type === RecordType.End) return false;
      if (r.type === RecordType.Frame) lastFrame = r.offset;
      validEnd = r.offset + 12 + r.body.byteLength;
    });
    await writeFile(crashed, bytes.subarray(0, validEnd), { flag: 'wx' });
    await appendFile(crashed, bytes.subarray(lastFrame, lastFrame + 50));

    const h = await store.open(crashedId);
    expect(h.recovered?.cutBytes).toBe(50);
    expect(h.recovered?.reason).toMatch(/^torn record at byte \d+ \(50 bytes\)$/);
    expect(h.durationMs).toBe(20_000);
    expect(h.keyframes).toBe(20);
    const picture = (await pictureAt(h, 20_000))!;
    expect(picture.seq).toBe(200);
    // The repair appended end + index + trailer: the next open reads the index directly.
    const again = await new RecordingStore(dir, log).open(crashedId);
    expect(again.recovered).toBeNull();
    expect(again.keyframes).toBe(20);
    expect(again.durationMs).toBe(20_000);
  });
});

/** A recording of `frames` frames copied, before its end and index, to a file of another id (as if its writer died). */
async function unfinishedCopy(room: string, frames: number): Promise<{ id: string; file: string; bytes: Buffer }> {
  const recorder = store.record(room, { keyframeIntervalSeconds: 1, flushMs: 20 });
  play(recorder, await buildSession(frames, 100));
  await drained(recorder);
  const bytes = await readFile(recorder.path);
  recorder.ended?.('test');
  await recorder.finished;
  const id = recorder.id.slice(0, -1) + (recorder.id.endsWith('q') ? 'p' : 'q');
  const file = path.join(dir, `${id}.tcrec`);
  await writeFile(file, bytes, { flag: 'wx' });
  return { id, file, bytes };
}

describe('a file another live process is writing', () => {
  test('is read without being cut or indexed, cannot be deleted, and is repaired once that process is gone', async () => {
    // A copy without end/index, "locked" by a live process that is not this one.
    const { id: otherId, file, bytes } = await unfinishedCopy('room-g', 50);
    const other = spawn('sleep', ['30']);
    await writeFile(`${file}.lock`, String(other.pid));
    try {
      const h = await store.open(otherId);
      expect(h.inProgress).toBe(true);
      expect(h.keyframes).toBe(5);
      expect((await stat(file)).size).toBe(bytes.byteLength);
      await expect(store.delete(otherId)).rejects.toThrow(/still being written/);
    } finally {
      other.kill('SIGKILL');
      await new Promise((r) => other.once('exit', r));
    }
    const h = await store.open(otherId);
    expect(h.inProgress).toBe(false);
    expect(h.recovered?.reason).toBe('no end record');
    expect((await stat(file)).size).toBeGreaterThan(bytes.byteLength);
    await expect(stat(`${file}.lock`)).rejects.toThrow();
    await store.delete(otherId);
  });
});

describe('two stores of one process on one folder', () => {
  test("each store's recordings are its own: the other reads one in progress without cutting it, and cannot delete it", async () => {
    const other = new RecordingStore(dir, log);
    const session = await buildSession(50, 100);
    const recorder = store.record('room-h', { keyframeIntervalSeconds: 1, flushMs: 20 });
    play(recorder, session);
    await drained(recorder);
    const size = (await stat(recorder.path)).size;
    const seen = await other.open(recorder.id);
    expect(seen.inProgress).toBe(true);
    expect((await stat(recorder.path)).size).toBe(size);
    await expect(other.delete(recorder.id)).rejects.toThrow(/still being written/);
    await other.settled(); // writes nothing: returns at once
    recorder.ended?.('test');
    await store.settled();
    const finished = await other.open(recorder.id);
    expect(finished.inProgress).toBe(false);
    expect(finished.recovered).toBeNull();
    expect(finished.keyframes).toBe(5);
  });

  test('a lock with this pid from an earlier run (a restarted container) is stale: the file is repaired', async () => {
    const { id: staleId, file } = await unfinishedCopy('room-i', 30);
    await writeFile(`${file}.lock`, `${process.pid} 000000000000`);
    const h = await store.open(staleId);
    expect(h.inProgress).toBe(false);
    expect(h.recovered?.reason).toBe('no end record');
    await expect(stat(`${file}.lock`)).rejects.toThrow();
    await store.delete(staleId);
  });
});

describe('in progress', () => {
  test('is served only up to what is durably written, and seekable up to its live edge', async () => {
    const session = await buildSession(100, 100);
    const recorder = store.record('room-c', { keyframeIntervalSeconds: 1, flushMs: 10_000 });
    const room = play(recorder, session.slice(0, 50));
    let h = await store.open(recorder.id);
    expect(h.inProgress).toBe(true);
    expect(h.keyframes).toBe(0);
    expect(h.size).toBe(h.dataStart);
    await new Promise((r) => setTimeout(r, 10)); // nothing flushed yet: the flush interval is 10 s
    expect((await store.open(recorder.id)).size).toBe(h.dataStart);
    play(recorder, session.slice(50), room);
    recorder.ended?.('done');
    await recorder.finished;
    h = await store.open(recorder.id);
    expect(h.inProgress).toBe(false);
    expect(h.durationMs).toBe(10_000);
  });

  test('stats report durable and pending bytes', async () => {
    const recorder = store.record('room-d', { flushMs: 20 });
    const session = await buildSession(30, 100);
    play(recorder, session);
    expect(recorder.stats().bytesPending).toBeGreaterThan(0);
    await drained(recorder);
    const s = recorder.stats();
    expect(s.bytesPending).toBe(0);
    expect(s.records).toBeGreaterThan(30);
    const h = await store.open(recorder.id);
    expect(h.inProgress).toBe(true);
    expect(h.size).toBe(s.bytesDurable);
    expect(h.keyframes).toBe(1);
    expect((await pictureAt(h, h.durationMs))!.seq).toBe(30);
    recorder.ended?.('done');
    await recorder.finished;
  });
});

describe('falling behind the disk', () => {
  test('drops records, marks a gap, and resumes at the next keyframe', async () => {
    const session = await buildSession(300, 100);
    // A queue of 20 KB and no flush within the burst: the queue fills and records are dropped.
    const recorder = store.record('room-e', { keyframeIntervalSeconds: 100, flushMs: 10_000, maxQueueBytes: 20_000 });
    play(recorder, session.slice(0, 150));
    const mid = recorder.stats();
    expect(mid.gaps).toBe(1);
    expect(mid.droppedRecords).toBeGreaterThan(0);
    // Let the queue drain (ending flushes), then the next frames must start with a keyframe.
    recorder.ended?.('done');
    await recorder.finished;
    const h = await store.open(recorder.id);
    expect(h.gaps).toBe(1);
    const types: number[] = [];
    scanRecords(
      await readFile(h.path).then((b) => new Uint8Array(b).subarray(h.dataStart, h.dataEnd)),
      h.dataStart,
      (r) => {
        types.push(r.type);
      },
    );
    // The gap never closed (no keyframe came): the file still says so before its end.
    expect(types.slice(-2)).toEqual([RecordType.Gap, RecordType.End]);
  });

  test('a gap closes with a gap record and a keyframe once the disk catches up', async () => {
    const session = await buildSession(300, 100);
    const recorder = store.record('room-f', { keyframeIntervalSeconds: 100, flushMs: 20, maxQueueBytes: 20_000 });
    const room = play(recorder, session.slice(0, 150));
    expect(recorder.stats().gaps).toBe(1);
    await drained(recorder);
    // Now at a pace the disk keeps up with.
    for (let i = 150; i < 300; i += 10) {
      play(recorder, session.slice(i, i + 10), room);
      await drained(recorder);
    }
    recorder.ended?.('done');
    await recorder.finished;
    const h = await store.open(recorder.id);
    expect(h.gaps).toBe(1);
    const bytes = new Uint8Array(await readFile(h.path));
    const types: number[] = [];
    scanRecords(bytes.subarray(h.dataStart, h.dataEnd), h.dataStart, (r) => void types.push(r.type));
    const gapAt = types.indexOf(RecordType.Gap);
    expect(gapAt).toBeGreaterThan(0);
    expect(types[gapAt + 1]).toBe(RecordType.Keyframe);
    // after the gap, the picture is exact again
    const picture = (await pictureAt(h, 30_000))!;
    expect(picture.seq).toBe(300);
    expect(picture.inGap).toBe(false);
  });
});
