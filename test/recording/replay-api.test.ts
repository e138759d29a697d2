// Recording through a real server (both engines), replayed over HTTP: pictures at timecodes, byte ranges, seeks,
// path tricks, listing and deletion.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { encodeCursor, encodeGeometry } from '../../shared/protocol';
import { FRAME_FIXED_BYTES, RecordType, readFileHeaderPrefix, scanRecords } from '../../shared/recording/format';
import { formatSmpte } from '../../shared/timecode';
import { type TestClient, connect } from '../helpers/client';
import { ENGINES, type CreatedRoom, createRoom, sleep, startTestServer, wsUrl } from '../helpers/server';
import { GEOMETRY_A, type KnownFrame, buildSession, expectedPixels, frameMessage, rgbOf } from './synthetic';

/** seq and time of every frame (or keyframe) record in a recording's bytes. */
function frameTimes(bytes: Uint8Array): { seq: number; timeMs: number; type: number }[] {
  const prefix = readFileHeaderPrefix(bytes);
  if ('error' in prefix) throw new Error(prefix.error);
  const out: { seq: number; timeMs: number; type: number }[] = [];
  scanRecords(bytes.subarray(16 + prefix.jsonBytes), 16 + prefix.jsonBytes, (r) => {
    const view = new DataView(r.body.buffer, r.body.byteOffset);
    if (r.type === RecordType.Frame) out.push({ seq: view.getUint32(0, true), timeMs: r.timeMs, type: r.type });
    if (r.type === RecordType.Keyframe) {
      const seq = view.getUint32(16, true);
      if (seq > 0) out.push({ seq, timeMs: r.timeMs, type: r.type });
    }
    if (r.type === RecordType.Index) return false;
  });
  return out;
}

describe.each(ENGINES)('recordings over HTTP on %s', (engine) => {
  let server: TilecastServer;
  let dir: string;
  let room: CreatedRoom;
  let recordingId: string;
  let session: KnownFrame[];
  let presenter: TestClient;
  let viewer: TestClient;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), `tilecast-rec-http-${engine}-`));
    server = await startTestServer(engine, { recordingsDir: dir, keyframeIntervalSeconds: 0.5, recordingFlushMs: 50 });
    session = await buildSession(120, 20);
    room = await createRoom(server, { record: true });
    presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    recordingId = (await (await fetch(`${server.url}/api/rooms/${room.id}`)).json()).recording;
    viewer = await connect(wsUrl(server, `/ws/view/${room.id}`));
    presenter.send(encodeGeometry(GEOMETRY_A));
    for (const f of session) {
      presenter.send(frameMessage(f));
      if (f.cursor) presenter.send(encodeCursor(f.cursor.x, f.cursor.y, true));
      await sleep(20);
    }
    await viewer.waitSync(120);
  });

  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const api = (p: string, init?: RequestInit) => fetch(`${server.url}/api/recordings${p}`, init);

  it('the room names its recording, and it can be replayed while still in progress', async () => {
    expect(recordingId).toMatch(/^\d{8}-\d{6}-[a-z0-9]{8}$/);
    // Wait until the recorder has nothing pending: then everything sent is durable and servable.
    let info = await (await api(`/${recordingId}`)).json();
    for (let i = 0; info.live.bytesPending > 0 || info.durationMs === 0; i++) {
      if (i > 500) throw new Error('recording never drained');
      await sleep(10);
      info = await (await api(`/${recordingId}`)).json();
    }
    expect(info).toMatchObject({ id: recordingId, room: room.id, inProgress: true, frameRate: 30 });
    expect(info.keyframes).toBeGreaterThan(2);
    const res = await api(`/${recordingId}/frame.png?t=${info.durationMs / 1000}`);
    expect(res.status).toBe(200);
    const got = await rgbOf(new Uint8Array(await res.arrayBuffer()));
    expect(Buffer.compare(Buffer.from(got.rgb), Buffer.from(expectedPixels(session, 120).rgb))).toBe(0);
    // never past what is durably written
    expect((await api(`/${recordingId}/data`)).headers.get('x-recording-in-progress')).toBe('true');
    expect((await api(`/${recordingId}/frame.png?t=${info.durationMs / 1000 + 5}`)).status).toBe(400);
  });

  it('a recording still being written cannot be deleted', async () => {
    const res = await api(`/${recordingId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${room.presenterToken}` },
    });
    expect(res.status).toBe(409);
  });

  it('after the room ends, every frame is in the file, in order (lossless)', async () => {
    presenter.send(JSON.stringify({ type: 'end' }));
    await viewer.waitClosed();
    await server.recordings.settled();
    const info = await (await api(`/${recordingId}`)).json();
    expect(info.inProgress).toBe(false);
    const bytes = new Uint8Array(await (await api(`/${recordingId}/data`)).arrayBuffer());
    expect(bytes.byteLength).toBe(info.size);
    expect(Buffer.compare(Buffer.from(bytes), await readFile(path.join(dir, `${recordingId}.tcrec`)))).toBe(0);
    const frames = frameTimes(bytes);
    expect(frames.map((f) => f.seq)).toEqual(session.map((f) => f.seq));
    for (let i = 1; i < frames.length; i++) expect(frames[i].timeMs).toBeGreaterThanOrEqual(frames[i - 1].timeMs);
  });

  it('the picture at many timecodes equals the known frame at that time (pixels compared with sharp)', async () => {
    const info = await (await api(`/${recordingId}`)).json();
    const frames = frameTimes(new Uint8Array(await (await api(`/${recordingId}/data`)).arrayBuffer()));
    const checks: number[] = [];
    for (let t = frames[0].timeMs; t <= info.durationMs; t += Math.max(1, Math.floor(info.durationMs / 25)))
      checks.push(t);
    checks.push(info.durationMs);
    for (const t of checks) {
      const seq = frames.filter((f) => f.timeMs <= t).at(-1)!.seq;
      // alternate the three timecode syntaxes
      const tc =
        checks.indexOf(t) % 3 === 0
          ? (t / 1000).toFixed(3)
          : checks.indexOf(t) % 3 === 1
            ? clock(t)
            : formatSmpte(Math.ceil(t * 0.03) / 0.03, 30);
      const smpteMs = checks.indexOf(t) % 3 === 2 ? Math.ceil(t * 0.03) / 0.03 : t;
      if (smpteMs > info.durationMs) continue;
      const expectSeq = frames.filter((f) => f.timeMs <= smpteMs).at(-1)!.seq;
      const res = await api(`/${recordingId}/frame.png?t=${encodeURIComponent(tc)}`);
      expect(res.status, `frame at ${tc}`).toBe(200);
      const got = await rgbOf(new Uint8Array(await res.arrayBuffer()));
      const want = expectedPixels(session, expectSeq);
      expect(
        Buffer.compare(Buffer.from(got.rgb), Buffer.from(want.rgb)),
        `pixels at ${tc} (seq ${expectSeq}, nearest ${seq})`,
      ).toBe(0);
    }
  });

  it('thumbnails are resized, in every format', async () => {
    for (const format of ['png', 'jpeg', 'webp']) {
      const res = await api(`/${recordingId}/frame.${format}?t=1&width=36`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(`image/${format}`);
      const img = await rgbOf(new Uint8Array(await res.arrayBuffer()));
      expect([img.width, img.height]).toEqual([36, 20]);
    }
  });

  it('?t= answers the offset of the last keyframe at or before the time', async () => {
    const res = await api(`/${recordingId}/data?t=1.2`);
    expect(res.status).toBe(200);
    const seek = await res.json();
    const { times, offsets } = await (await api(`/${recordingId}/keyframes`)).json();
    const k = times.filter((t: number) => t <= 1200).length - 1;
    expect(seek).toMatchObject({ timeMs: 1200, offset: offsets[k], keyframe: k, keyframeTimeMs: times[k] });
    // the bytes at that offset are a keyframe record
    const head = await api(`/${recordingId}/data`, { headers: { range: `bytes=${seek.offset}-${seek.offset + 11}` } });
    expect(head.status).toBe(206);
    expect(new Uint8Array(await head.arrayBuffer())[0]).toBe(RecordType.Keyframe);
  });

  it.each([
    ['t=abc', 'timecode "abc" is not HH:MM:SS:FF, HH:MM:SS.mmm or a number of seconds'],
    ['t=00:00:00:45', 'timecode 00:00:00:45: frame 45 does not exist at 30 fps (frames are 00..29)'],
    ['t=99:00:00:00', 'is past the end of the recording'],
    ['t=', 'timecode is empty'],
  ])('a bad timecode (%s) is a 400 that says what is wrong', async (query, message) => {
    for (const p of [`/${recordingId}/data?${query}`, `/${recordingId}/frame.png?${query}`]) {
      const res = await api(p);
      expect(res.status).toBe(400);
      const body = await res.json();
      expect(body.error.code).toBe('BAD_TIMECODE');
      expect(body.error.message).toContain(message);
    }
  });

  it('serves byte ranges from the file: explicit, open-ended, suffix', async () => {
    const file = await readFile(path.join(dir, `${recordingId}.tcrec`));
    const size = file.byteLength;
    for (const [range, start, end] of [
      ['bytes=0-99', 0, 99],
      [`bytes=${size - 10}-`, size - 10, size - 1],
      ['bytes=-16', size - 16, size - 1],
      [`bytes=100-${size + 1000}`, 100, size - 1],
    ] as const) {
      const res = await api(`/${recordingId}/data`, { headers: { range } });
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/${size}`);
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      const body = Buffer.from(await res.arrayBuffer());
      expect(Buffer.compare(body, file.subarray(start, end + 1)), range).toBe(0);
    }
  });

  it.each([
    ['bytes=999999999-', 416],
    ['bytes=-0', 416],
    ['bytes=0-10,5-20', 400],
    ['bytes=0-1,2-3,4-5,6-7,8-9', 400],
    ['bytes=abc-def', 400],
    ['bytes=10-5', 400],
    ['pages=0-1', 400],
    ['bytes=0-123456789012345678901234567890', 400],
  ])('rejects Range %s with %i', async (range, status) => {
    const res = await api(`/${recordingId}/data`, { headers: { range } });
    expect(res.status).toBe(status);
    const body = await res.json();
    expect(body.error.message.length).toBeGreaterThan(10);
    if (status === 416) expect(res.headers.get('content-range')).toMatch(/^bytes \*\/\d+$/);
  });

  it.each([
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '..%5C..%5Cwindows',
    '20261122-031500-abcdefgh%2F..%2F..%2Fx',
    '20261122-031500-ABCDEFGH',
    '%00',
  ])('rejects the id %s without touching the file system', async (id) => {
    for (const suffix of ['', '/data', '/frame.png?t=0', '/keyframes']) {
      const res = await api(`/${id}${suffix}`);
      expect([400, 404]).toContain(res.status);
      const body = await res.json();
      expect(['BAD_RECORDING_ID', 'NOT_FOUND', 'BAD_PATH']).toContain(body.error.code);
    }
  });

  it("a private room's recording serves its media only with a room token", async () => {
    const secret = await createRoom(server, { private: true, record: true });
    const p = await connect(wsUrl(server, `/ws/present/${secret.id}?token=${secret.presenterToken}`));
    const recId: string = (
      await (await fetch(`${server.url}/api/rooms/${secret.id}?token=${secret.viewerToken}`)).json()
    ).recording;
    p.send(encodeGeometry(GEOMETRY_A));
    p.send(frameMessage(session[0]));
    // the frame's keyframe is durable (written and flushed): every media route can answer
    const durable = async () =>
      (await (await api(`/${recId}?token=${secret.viewerToken}`)).json()) as {
        keyframes: number;
        live: { bytesPending: number };
      };
    for (
      let i = 0, info = await durable();
      info.keyframes === 0 || info.live.bytesPending > 0;
      i++, info = await durable()
    ) {
      if (i > 500) throw new Error('the recording never became durable');
      await sleep(10);
    }
    const info = await (await api(`/${recId}?token=${secret.viewerToken}`)).json();
    expect(info).toMatchObject({ id: recId, private: true });
    for (const suffix of ['', '/data', '/data?t=0', '/keyframes', '/frame.png?t=0']) {
      const denied = await api(`/${recId}${suffix}`);
      expect(denied.status, suffix).toBe(401);
      expect((await denied.json()).error.message).toContain('private room');
      const sep = suffix.includes('?') ? '&' : '?';
      expect((await api(`/${recId}${suffix}${sep}token=${secret.viewerToken}`)).status, suffix).toBe(200);
      expect(
        (await api(`/${recId}${suffix}`, { headers: { authorization: `Bearer ${secret.presenterToken}` } })).status,
        suffix,
      ).toBe(200);
      // another room's token does not open it
      expect((await api(`/${recId}${suffix}${sep}token=${room.presenterToken}`)).status, suffix).toBe(401);
    }
    p.send(JSON.stringify({ type: 'end' }));
    await p.waitClosed();
  });

  it('an unknown (well-formed) id is a 404', async () => {
    const res = await api('/20200101-000000-aaaaaaaa');
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('RECORDING_NOT_FOUND');
  });

  it('lists recordings', async () => {
    const { recordings } = await (await api('')).json();
    expect(recordings.map((r: { id: string }) => r.id)).toContain(recordingId);
  });

  it('deletes only with the room presenter token or the admin token', async () => {
    const other = await createRoom(server);
    expect((await api(`/${recordingId}`, { method: 'DELETE' })).status).toBe(401);
    const wrong = await api(`/${recordingId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${other.presenterToken}` },
    });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error.message).toContain('presenter token');
    const ok = await api(`/${recordingId}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${room.presenterToken}` },
    });
    expect(ok.status).toBe(204);
    expect((await api(`/${recordingId}`)).status).toBe(404);
  });
});

function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `00:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}`;
}
