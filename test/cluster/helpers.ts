// Cluster test helpers: a private redis-server per test file, nodes in this process (startServer with node ids)
// or as real processes (for SIGKILL), and the origin's ScreenShot as a picture to compare viewers with.
import type { ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { type StartOptions, type TilecastServer, startServer } from '../../server/app';
import { type PrivateRedis, startPrivateRedis } from '../../server/cluster/redis-server';
import { TILE_HEADER_BYTES } from '../../shared/protocol';
import type { Engine } from '../helpers/server';
import { startServerProcess } from '../helpers/server-process';

export const SECRET = 'cluster-test-secret-of-at-least-32-bytes';

export { startPrivateRedis, type PrivateRedis };

export function startNode(
  redis: PrivateRedis,
  nodeId: string,
  engine: Engine,
  options: StartOptions = {},
): Promise<TilecastServer> {
  return startServer({
    port: 0,
    host: '127.0.0.1',
    engine,
    redis: redis.url,
    nodeId,
    secret: SECRET,
    logger: pino({ level: 'silent' }),
    ...options,
  });
}

/** "col,row" -> tile payload, from a node's local ScreenShot */
export function pictureOf(server: TilecastServer, roomId: string): Map<string, Buffer> {
  const room = server.rooms.get(roomId);
  const out = new Map<string, Buffer>();
  if (!room) return out;
  for (const t of room.keyframe().tiles)
    if (t) out.set(`${t.col},${t.row}`, Buffer.from(t.message.subarray(TILE_HEADER_BYTES)));
  return out;
}

export function samePicture(a: Map<string, Buffer>, b: Map<string, Buffer>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.get(k)?.equals(v)) return false;
  return true;
}

export interface NodeProcess {
  child: ChildProcess;
  url: string;
  port: number;
  nodeId: string;
}

/** A node as its own node process (no npx/tsx wrapper, so SIGKILL hits the server itself). */
export async function spawnNode(
  redis: PrivateRedis,
  nodeId: string,
  engine: Engine,
  extra: string[] = [],
): Promise<NodeProcess> {
  const { child, url, port } = await startServerProcess(
    ['--engine', engine, '--redis', redis.url, '--node-id', nodeId, '--grace-seconds', '20', ...extra],
    { env: { TILECAST_SECRET: SECRET } },
  );
  return { child, url, port, nodeId };
}

export async function killNode(node: NodeProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return;
  const exited = new Promise((r) => node.child.once('exit', r));
  node.child.kill(signal);
  await exited;
}

export async function createRoomAt(url: string, body: object = {}) {
  const res = await fetch(`${url}/api/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 201) throw new Error(`create room: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; presenterToken: string; viewerToken: string | null };
}

export const wsAt = (port: number, p: string) => `ws://127.0.0.1:${port}${p}`;
