// The cluster directory in Redis: rooms (metadata, origin node, presenter state, epoch) and node presence
// (heartbeats with a TTL carrying per-room viewer counts). A node that stops beating is gone within NODE_TTL_MS.
import type { Redis } from 'ioredis';
import { CloseCode, type PresenterStateName } from '../../shared/protocol';
import { TilecastError } from '../errors';

/** Redis unreachable on a request path: the client is told to retry (HTTP 503, WebSocket 4503). */
export class ClusterUnavailableError extends TilecastError {
  constructor(cause: unknown) {
    super(
      'CLUSTER_UNAVAILABLE',
      `the cluster directory (Redis) is unreachable, retry shortly: ${(cause as Error)?.message ?? cause}`,
      CloseCode.Overloaded,
      503,
    );
  }
}

async function guard<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    throw err instanceof TilecastError ? err : new ClusterUnavailableError(err);
  }
}

export const HEARTBEAT_MS = 2000;
export const NODE_TTL_MS = 6000;
/** ended rooms are remembered this long, so late viewers get `ended` rather than `not found` */
const ENDED_TTL_S = 3600;

export interface RoomMeta {
  id: string;
  name: string;
  private: boolean;
  record: boolean;
  createdAt: string;
  /** node holding (or last holding) the presenter; '' before the first one */
  origin: string;
  state: PresenterStateName;
  /** grows by one each time a node becomes the room's origin */
  epoch: number;
  /** when the state last changed (ms since the epoch; 0 if unknown) */
  since?: number;
}

export interface NodeInfo {
  id: string;
  url: string;
  engine: string;
  /** room id -> viewers on this node */
  viewers: Record<string, number>;
  /** rooms whose presenter is on this node */
  presenting: string[];
  at: number;
}

export type Claim =
  | { ok: true; epoch: number; previous: RoomMeta }
  | { ok: false; reason: 'missing' | 'ended' | 'conflict' };

export interface Directory {
  createRoom(meta: RoomMeta, idleSeconds: number): Promise<void>;
  room(id: string): Promise<RoomMeta | null>;
  rooms(): Promise<RoomMeta[]>;
  /** makes `node` the room's origin unless another live node holds its presenter */
  claimOrigin(id: string, node: string): Promise<Claim>;
  /** sets the presenter state if the room is still at this epoch (an origin that lost its room changes nothing) */
  setState(id: string, epoch: number, state: PresenterStateName): Promise<boolean>;
  /** an origin writes its room back if Redis lost it (restarted without persistence) */
  restore(meta: RoomMeta): Promise<void>;
  heartbeat(info: NodeInfo): Promise<void>;
  nodes(): Promise<NodeInfo[]>;
  nodeAlive(id: string): Promise<boolean>;
  leave(nodeId: string): Promise<void>;
}

const roomKey = (id: string) => `tc:room:{${id}}`;
const nodeKey = (id: string) => `tc:node:${id}`;
const ROOMS = 'tc:rooms';
const NODES = 'tc:nodes';

// KEYS[1] room; ARGV: me, expected origin. Atomic so two nodes cannot both become origin of one room.
const CLAIM = `
local s = redis.call('HGET', KEYS[1], 'state')
if not s then return -1 end
if s == 'ended' then return -2 end
if redis.call('HGET', KEYS[1], 'origin') ~= ARGV[2] then return -3 end
redis.call('PERSIST', KEYS[1])
redis.call('HSET', KEYS[1], 'origin', ARGV[1], 'state', 'live')
return redis.call('HINCRBY', KEYS[1], 'epoch', 1)`;

// KEYS[1] room; ARGV: epoch, state, ended ttl
const SET_STATE = `
if redis.call('HGET', KEYS[1], 'epoch') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'since', ARGV[4])
if ARGV[2] == 'ended' then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1`;

const RESTORE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'name', ARGV[1], 'private', ARGV[2], 'record', ARGV[3], 'createdAt', ARGV[4], 'origin', ARGV[5], 'state', ARGV[6], 'epoch', ARGV[7])
return 1`;

function parseRoom(id: string, h: Record<string, string>): RoomMeta | null {
  if (!h.state) return null;
  return {
    id,
    name: h.name ?? `Room ${id}`,
    private: h.private === '1',
    record: h.record === '1',
    createdAt: h.createdAt ?? '',
    origin: h.origin ?? '',
    state: h.state as PresenterStateName,
    epoch: Number(h.epoch ?? 0),
    since: Number(h.since ?? 0),
  };
}

export class RedisDirectory implements Directory {
  constructor(private readonly redis: Redis) {}

  createRoom(meta: RoomMeta, idleSeconds: number) {
    return guard(this.createRoomNow(meta, idleSeconds));
  }

  private async createRoomNow(meta: RoomMeta, idleSeconds: number): Promise<void> {
    const key = roomKey(meta.id);
    await this.redis
      .multi()
      .hset(key, {
        name: meta.name,
        private: meta.private ? '1' : '0',
        record: meta.record ? '1' : '0',
        createdAt: meta.createdAt,
        origin: '',
        state: 'waiting',
        epoch: '0',
      })
      // A room nobody presents in disappears like an idle local one; the first presenter makes it persistent.
      .expire(key, Math.ceil(idleSeconds))
      .sadd(ROOMS, meta.id)
      .exec();
  }

  room(id: string) {
    return guard(this.roomNow(id));
  }

  private async roomNow(id: string): Promise<RoomMeta | null> {
    return parseRoom(id, await this.redis.hgetall(roomKey(id)));
  }

  rooms() {
    return guard(this.roomsNow());
  }

  private async roomsNow(): Promise<RoomMeta[]> {
    const ids = await this.redis.smembers(ROOMS);
    const out: RoomMeta[] = [];
    const gone: string[] = [];
    const all = await Promise.all(ids.map((id) => this.room(id)));
    all.forEach((m, i) => (m && m.state !== 'ended' ? out.push(m) : gone.push(ids[i])));
    if (gone.length) await this.redis.srem(ROOMS, ...gone);
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  claimOrigin(id: string, node: string) {
    return guard(this.claimOriginNow(id, node));
  }

  private async claimOriginNow(id: string, node: string): Promise<Claim> {
    const previous = await this.room(id);
    if (!previous) return { ok: false, reason: 'missing' };
    if (previous.state === 'ended') return { ok: false, reason: 'ended' };
    if (
      previous.state === 'live' &&
      previous.origin &&
      previous.origin !== node &&
      (await this.nodeAlive(previous.origin))
    )
      return { ok: false, reason: 'conflict' };
    const r = Number(await this.redis.eval(CLAIM, 1, roomKey(id), node, previous.origin));
    if (r === -1) return { ok: false, reason: 'missing' };
    if (r === -2) return { ok: false, reason: 'ended' };
    if (r === -3) return { ok: false, reason: 'conflict' };
    return { ok: true, epoch: r, previous };
  }

  async setState(id: string, epoch: number, state: PresenterStateName): Promise<boolean> {
    const r = Number(
      await this.redis.eval(SET_STATE, 1, roomKey(id), String(epoch), state, String(ENDED_TTL_S), String(Date.now())),
    );
    if (r === 1 && state === 'ended') await this.redis.srem(ROOMS, id);
    return r === 1;
  }

  async restore(meta: RoomMeta): Promise<void> {
    const r = await this.redis.eval(
      RESTORE,
      1,
      roomKey(meta.id),
      meta.name,
      meta.private ? '1' : '0',
      meta.record ? '1' : '0',
      meta.createdAt,
      meta.origin,
      meta.state,
      String(meta.epoch),
    );
    if (r === 1) await this.redis.sadd(ROOMS, meta.id);
  }

  async heartbeat(info: NodeInfo): Promise<void> {
    await this.redis.multi().set(nodeKey(info.id), JSON.stringify(info), 'PX', NODE_TTL_MS).sadd(NODES, info.id).exec();
  }

  nodes() {
    return guard(this.nodesNow());
  }

  private async nodesNow(): Promise<NodeInfo[]> {
    const ids = await this.redis.smembers(NODES);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map(nodeKey));
    const out: NodeInfo[] = [];
    const gone: string[] = [];
    values.forEach((v, i) => (v ? out.push(JSON.parse(v) as NodeInfo) : gone.push(ids[i])));
    if (gone.length) await this.redis.srem(NODES, ...gone);
    return out;
  }

  async nodeAlive(id: string): Promise<boolean> {
    return (await this.redis.exists(nodeKey(id))) === 1;
  }

  async leave(nodeId: string): Promise<void> {
    await this.redis.multi().del(nodeKey(nodeId)).srem(NODES, nodeId).exec();
  }
}
