// After a Redis restart without persistence the directory has forgotten every room; until the origin writes its
// room back, any other node answers its viewers 4404 "does not exist". The origin must write it back as soon as
// its link is back, not at its next heartbeat (up to 2 s later). Real redis-server, real sockets.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, encodeGeometry } from '../../shared/protocol';
import { connect } from '../helpers/client';
import { sleep } from '../helpers/server';
import { createRoomAt, pictureOf, samePicture, startNode, startPrivateRedis, wsAt } from './helpers';

const GEOMETRY = { width: 128, height: 128, tileSize: 32 }; // 4 x 4
const frame = (seq: number) =>
  encodeFrame(seq, Date.now(), [
    { col: seq % 4, row: (seq >> 2) % 4, codec: 'png', payload: new Uint8Array(50).fill(seq & 0xff) },
  ]);
/** Reconnect (ioredis backoff <= 200 ms) plus one write; the heartbeat the old code waited for is 2 s. */
const RESTORE_BOUND_MS = 1000;

/** waitFor for an async check (the helper's is synchronous) */
async function until(what: string, check: () => Promise<boolean>, timeoutMs: number, stepMs: number): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f().catch(() => {});
});

describe('Redis restarted without persistence', () => {
  it('the origin writes its room back at once: a viewer on another node finds it within 1 s, not 4404', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'tilecast-directory-restore-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    let redis = await startPrivateRedis(dir);
    cleanup.push(() => redis.stop());
    const A = await startNode(redis, 'A', 'uws');
    const C = await startNode(redis, 'C', 'ws');
    cleanup.push(
      () => A.close(),
      () => C.close(),
    );
    const room = await createRoomAt(A.url);
    const presenter = await connect(wsAt(A.port, `/ws/present/${room.id}?token=${room.presenterToken}`));
    cleanup.push(() => presenter.close());
    presenter.send(encodeGeometry(GEOMETRY));
    for (let seq = 1; seq <= 16; seq++) presenter.send(frame(seq));
    const directory = A.cluster!.directory;
    let meta: Awaited<ReturnType<typeof directory.room>> = null;
    await until(
      'room live in the directory',
      async () => {
        meta = await directory.room(room.id);
        return meta?.state === 'live';
      },
      5000,
      10,
    );

    // Crash right after A's heartbeat: the worst case for a restore that waits for the next one.
    const beatOf = async () => (await directory.nodes()).find((n) => n.id === 'A')?.at ?? 0;
    const before = await beatOf();
    await until('a fresh heartbeat of A', async () => (await beatOf()) !== before, 5000, 5);
    await redis.crash();
    await sleep(300);
    redis = await startPrivateRedis(dir);
    const back = Date.now();

    // C answers 503 while its own link is down, 404 while the directory lacks the room, 200 once A restored it.
    const answers: number[] = [];
    await until(
      'C to know the room again',
      async () => {
        const status = (await fetch(`${C.url}/api/rooms/${room.id}`)).status;
        if (answers.at(-1) !== status) answers.push(status);
        return status === 200;
      },
      5000,
      20,
    );
    const restoredMs = Date.now() - back;
    console.log(`room back in the directory ${restoredMs} ms after Redis (C answered ${answers.join(' -> ')})`);
    expect(restoredMs).toBeLessThan(RESTORE_BOUND_MS);
    const restored = await directory.room(room.id);
    expect(restored).toMatchObject({ origin: 'A', state: 'live', epoch: meta!.epoch });

    // A viewer joining C now gets the picture (as the cluster bench's new node does).
    const viewer = await connect(wsAt(C.port, `/ws/view/${room.id}`));
    cleanup.push(() => viewer.close());
    presenter.send(frame(17));
    await viewer.waitSync(17);
    expect(viewer.closed).toBeNull();
    expect(samePicture(viewer.synced, pictureOf(A, room.id))).toBe(true);
  });
});
