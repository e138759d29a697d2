// --workers 2: two processes on one port with a private redis-server; viewers land on both and all converge;
// the private Redis goes away with the primary.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVER_ENTRY, bundleNodeEntry } from '../../server/build';
import { encodeFrame, encodeGeometry } from '../../shared/protocol';
import { type TestClient, connect } from '../helpers/client';
import { ENGINES, sleep } from '../helpers/server';
import { createRoomAt, samePicture, wsAt } from './helpers';

const ROOT = path.resolve(__dirname, '../..');
const GEOMETRY = { width: 128, height: 64, tileSize: 32 }; // 4 x 2

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const primaries: ChildProcess[] = [];
afterAll(() => {
  for (const p of primaries) if (p.exitCode === null) p.kill('SIGTERM');
});

describe.each(ENGINES)('--workers 2 (%s)', (engine) => {
  it('viewers land on both processes and all converge; the private redis-server stops with the primary', async () => {
    const port = await freePort();
    const primary = spawn(
      process.execPath,
      // the bundle, as `npm start` runs it: its workers run the same file (process.argv[1])
      [await bundleNodeEntry(SERVER_ENTRY), '--workers', '2', '--port', String(port), '--engine', engine],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TILECAST_LOG_LEVEL: 'warn' } },
    );
    primaries.push(primary);
    let stderr = '';
    primary.stderr!.on('data', (d) => (stderr += String(d)));
    const url = `http://127.0.0.1:${port}`;
    // Both workers up: both are in the directory.
    for (let i = 0; ; i++) {
      if (i > 600) throw new Error(`workers did not come up: ${stderr}`);
      const res = await fetch(`${url}/api/cluster`).catch(() => null);
      if (res?.ok && ((await res.json()) as { nodes: unknown[] }).nodes.length === 2) break;
      await sleep(50);
    }
    const socket = /private redis-server at (\S+)/.exec(stderr)?.[1];
    expect(socket && existsSync(socket)).toBe(true);

    const room = await createRoomAt(url);
    const presenter = await connect(wsAt(port, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry(GEOMETRY));
    const viewers: TestClient[] = [];
    for (let i = 0; i < 12; i++) viewers.push(await connect(wsAt(port, `/ws/view/${room.id}`)));
    for (let seq = 1; seq <= 8; seq++)
      presenter.send(
        encodeFrame(seq, Date.now(), [
          { col: (seq - 1) % 4, row: Math.floor((seq - 1) / 4), codec: 'png', payload: new Uint8Array([seq, 1, 2]) },
        ]),
      );
    for (const v of viewers) await v.waitSync(8);
    for (const v of viewers) expect(samePicture(v.synced, viewers[0].synced)).toBe(true);
    expect(viewers[0].synced.size).toBe(8);

    // Where the viewers are, per the directory (counts arrive with heartbeats). One request at a time: every answer
    // must be the room (an error answer fails the test with its status and body).
    let byNode: Record<string, number> = {};
    const deadline = Date.now() + 8000;
    for (;;) {
      const res = await fetch(`${url}/api/rooms/${room.id}`);
      const body = await res.text();
      expect(res.ok, `GET /api/rooms/${room.id}: ${res.status} ${body}`).toBe(true);
      byNode = (JSON.parse(body) as { viewersByNode: Record<string, number> }).viewersByNode;
      if (Object.values(byNode).reduce((a, b) => a + b, 0) === viewers.length) break;
      if (Date.now() > deadline) throw new Error(`viewers by node after 8 s: ${JSON.stringify(byNode)}`);
      await sleep(50);
    }
    expect(Object.keys(byNode)).toHaveLength(2);

    presenter.send(JSON.stringify({ type: 'end' }));
    for (const v of viewers) await v.waitClosed();
    const exited = new Promise((r) => primary.once('exit', r));
    primary.kill('SIGTERM');
    await exited;
    expect(existsSync(socket!)).toBe(false);
  });
});
