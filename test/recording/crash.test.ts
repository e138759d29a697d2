// A server killed with SIGKILL while recording: after a restart the recording opens, plays up to the last flush,
// and its index is rebuilt by scanning (once; the rebuilt index is written to the file).
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeGeometry } from '../../shared/protocol';
import { RecordType, TRAILER_MAGIC, readFileHeaderPrefix, scanRecords } from '../../shared/recording/format';
import { connect } from '../helpers/client';
import { sleep } from '../helpers/server';
import { startServerProcess } from '../helpers/server-process';
import { GEOMETRY_A, buildSession, expectedPixels, frameMessage, rgbOf } from './synthetic';

const FLUSH_MS = 100;
const children: ChildProcess[] = [];

/** Starts `server/main.ts` in its own node process (no npx/tsx wrapper, so SIGKILL hits the server itself). */
async function startChild(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const { child, url } = await startServerProcess([
    '--engine',
    'ws',
    '--recordings-dir',
    dir,
    '--recording-flush-ms',
    String(FLUSH_MS),
    '--keyframe-interval-seconds',
    '0.5',
  ]);
  children.push(child);
  return { child, url };
}

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

describe('SIGKILL while recording', () => {
  it('the recording opens after a restart, plays up to the last flush, and its index is rebuilt', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tilecast-crash-'));
    const session = await buildSession(150, 20);
    const first = await startChild(dir);
    const created = await (
      await fetch(`${first.url}/api/rooms`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"record":true}',
      })
    ).json();
    const port = new URL(first.url).port;
    const presenter = await connect(`ws://127.0.0.1:${port}/ws/present/${created.id}?token=${created.presenterToken}`);
    const id: string = (await (await fetch(`${first.url}/api/rooms/${created.id}`)).json()).recording;
    presenter.send(encodeGeometry(GEOMETRY_A));
    for (const f of session.slice(0, 100)) {
      presenter.send(frameMessage(f));
      await sleep(10);
    }
    // Everything sent so far is durable once the recorder reports nothing pending; what follows may be lost.
    await sleep(FLUSH_MS);
    for (let i = 0; ; i++) {
      const info = await (await fetch(`${first.url}/api/recordings/${id}`)).json();
      if (info.live.bytesPending === 0 && info.durationMs > 0) break;
      if (i > 500) throw new Error('recording never drained');
      await sleep(10);
    }
    const durableSeq = 100;
    for (const f of session.slice(100)) presenter.send(frameMessage(f));
    await sleep(5);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    presenter.terminate();

    const second = await startChild(dir);
    const info = await (await fetch(`${second.url}/api/recordings/${id}`)).json();
    expect(info).toMatchObject({ id, inProgress: false });
    expect(info.recovered).not.toBeNull();
    expect(info.keyframes).toBeGreaterThan(0);

    // Frames are all there, in order, at least up to the last flush before the kill.
    const bytes = new Uint8Array(await readFile(path.join(dir, `${id}.tcrec`)));
    const prefix = readFileHeaderPrefix(bytes);
    if ('error' in prefix) throw new Error(prefix.error);
    const seqs: number[] = [];
    scanRecords(bytes.subarray(16 + prefix.jsonBytes), 16 + prefix.jsonBytes, (r) => {
      const view = new DataView(r.body.buffer, r.body.byteOffset);
      if (r.type === RecordType.Frame) seqs.push(view.getUint32(0, true));
      if (r.type === RecordType.Keyframe && view.getUint32(16, true) > 0) seqs.push(view.getUint32(16, true));
      if (r.type === RecordType.Index) return false;
    });
    expect(seqs.length).toBeGreaterThanOrEqual(durableSeq);
    expect(seqs).toEqual(session.slice(0, seqs.length).map((f) => f.seq));

    // The picture at the end is the last frame that made it to disk.
    const res = await fetch(`${second.url}/api/recordings/${id}/frame.png?t=${info.durationMs / 1000}`);
    expect(res.status).toBe(200);
    const got = await rgbOf(new Uint8Array(await res.arrayBuffer()));
    expect(Buffer.compare(Buffer.from(got.rgb), Buffer.from(expectedPixels(session, seqs.at(-1)!).rgb))).toBe(0);

    // The rebuilt index was appended: the file now ends with the trailer, and a third start reads it directly.
    expect(Buffer.from(bytes.subarray(-8)).toString()).toBe(TRAILER_MAGIC);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
    const third = await startChild(dir);
    const again = await (await fetch(`${third.url}/api/recordings/${id}`)).json();
    expect(again.recovered).toBeNull();
    expect(again.keyframes).toBe(info.keyframes);
    expect(again.durationMs).toBe(info.durationMs);
    third.child.kill('SIGTERM');
    await new Promise((r) => third.child.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  });
});
