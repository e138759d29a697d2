// Graceful shutdown: SIGTERM/SIGINT is a server going away, not a room ending. Clients get 1001 (and reconnect),
// new upgrades get 503 during the drain, recordings are finished, and the process exits 0.
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CloseCode, MessageType, encodeGeometry } from '../../shared/protocol';
import { TRAILER_MAGIC } from '../../shared/recording/format';
import { RECORDING_EXTENSION } from '../../server/recording/recording-id';
import { connect } from '../helpers/client';
import { RawSocket, handshake } from '../helpers/raw-socket';
import { ENGINES, sleep, waitFor } from '../helpers/server';
import { type ServerProcess, killAll, startServerProcess } from '../helpers/server-process';

const running: ServerProcess[] = [];
afterAll(() => killAll(running));

describe.each(ENGINES)('graceful shutdown on %s', (engine) => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s: every client gets 1001, upgrades get 503 while draining, exit 0',
    async (signal) => {
      const dir = await mkdtemp(path.join(tmpdir(), 'tilecast-shutdown-'));
      const server = await startServerProcess([
        '--engine',
        engine,
        '--recordings-dir',
        dir,
        '--shutdown-drain-seconds',
        '2',
      ]);
      running.push(server);
      const ws = (p: string) => `ws://127.0.0.1:${server.port}${p}`;
      const created = await (
        await fetch(`${server.url}/api/rooms`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"record":true}',
        })
      ).json();
      const presenter = await connect(ws(`/ws/present/${created.id}?token=${created.presenterToken}`));
      presenter.send(encodeGeometry({ width: 128, height: 64, tileSize: 64 }));
      const viewers = await Promise.all([1, 2, 3].map(() => connect(ws(`/ws/view/${created.id}`))));
      // a viewer that never answers the close handshake keeps the drain going for its full 2 s
      const stuck = await RawSocket.upgrade(server.port, `/ws/view/${created.id}`);
      stuck.stall();
      await sleep(200);

      const start = Date.now();
      server.child.kill(signal);
      for (const c of [presenter, ...viewers])
        expect(await c.waitClosed(3000)).toEqual({ code: CloseCode.GoingAway, reason: 'server shutting down' });
      // no `ended` status: the room did not end, the client should reconnect
      for (const c of [presenter, ...viewers])
        expect(c.of(MessageType.Status).map((s) => s.state)).not.toContain('ended');

      // no new upgrade is taken: during the drain the port answers 503. (uWS calls the close handler from end()
      // at once, so its drain is over as soon as every socket was sent its 1001, and the port may be closed.)
      const late = await RawSocket.open(server.port, handshake(server.port, `/ws/view/${created.id}`)).catch(
        (err: Error) => err,
      );
      if (late instanceof RawSocket) {
        await waitFor('an answer', () => late.status || late.ended, 2000);
        expect(late.status).toMatch(engine === 'ws' ? /^HTTP\/1\.1 503/ : /^(HTTP\/1\.1 503 .*|)$/);
      } else {
        expect(engine).toBe('uws');
        expect(late.message).toMatch(/ECONNREFUSED/);
      }

      const exit = await server.exited;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - start).toBeLessThan(5000); // drain 2 s + closing the recording
      expect(server.logs.some((l) => l.msg === 'shut down')).toBe(true);

      // the recording was finished cleanly (trailer written), not left for crash repair
      const files = (await readdir(dir)).filter((f) => f.endsWith(RECORDING_EXTENSION));
      expect(files.length).toBe(1);
      const bytes = await readFile(path.join(dir, files[0]));
      expect(bytes.includes(Buffer.from(TRAILER_MAGIC))).toBe(true);
      stuck.destroy();
    },
    40_000,
  );
});
