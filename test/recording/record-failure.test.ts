// A room asked to record whose file cannot be created is refused with a clear error, and does not linger.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { startTestServer } from '../helpers/server';

let server: TilecastServer;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'tilecast-rec-fail-'));
  await writeFile(path.join(dir, 'not-a-folder'), 'x');
  server = await startTestServer('ws', { recordingsDir: path.join(dir, 'not-a-folder', 'recordings') });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

it('POST /api/rooms with record:true answers 503 RECORDING_FAILED and the room is gone', async () => {
  const res = await fetch(`${server.url}/api/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"record":true}',
  });
  expect(res.status).toBe(503);
  const body = await res.json();
  expect(body.error.code).toBe('RECORDING_FAILED');
  expect(body.error.message).toMatch(/^recording could not start in .*not-a-folder.*ENOTDIR/);
  expect((await (await fetch(`${server.url}/api/rooms`)).json()).rooms).toEqual([]);
  // rooms without recording are unaffected
  expect((await fetch(`${server.url}/api/rooms`, { method: 'POST', body: '{}' })).status).toBe(201);
});
