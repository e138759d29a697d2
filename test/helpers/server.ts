// Starts a real tilecast server on an ephemeral loopback port, quietly, for one test file.
import { pino } from 'pino';
import { type StartOptions, type TilecastServer, startServer } from '../../server/app';

export const ENGINES = ['uws', 'ws'] as const;
export type Engine = (typeof ENGINES)[number];

export function startTestServer(engine: Engine, options: StartOptions = {}): Promise<TilecastServer> {
  // Test files create many rooms from one address; the creation limit itself is tested with its own settings
  // (test/hardening/room-flood.test.ts).
  return startServer({
    port: 0,
    host: '127.0.0.1',
    engine,
    logger: pino({ level: 'silent' }),
    roomCreateBurst: 10_000,
    ...options,
  });
}

export interface CreatedRoom {
  id: string;
  presenterToken: string;
  viewerToken: string | null;
  presenterUrl: string;
  viewerUrl: string;
}

export async function createRoom(
  server: Pick<TilecastServer, 'url'>,
  body: object = {},
  headers: Record<string, string> = {},
): Promise<CreatedRoom> {
  const res = await fetch(`${server.url}/api/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`create room: ${res.status} ${await res.text()}`);
  return (await res.json()) as CreatedRoom;
}

export const wsUrl = (server: Pick<TilecastServer, 'port'>, path: string) => `ws://127.0.0.1:${server.port}${path}`;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(
  what: string,
  check: () => T | undefined | null | false,
  timeoutMs = 5000,
): Promise<T> {
  // monotonic: a step of the wall clock (seen once in CI: a 76 ms test "timed out after 500 ms") is not a wait
  const start = performance.now();
  for (;;) {
    const v = check();
    if (v) return v;
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}
