// The room bus: per-room channels between nodes. The origin publishes each room event once; every node with
// viewers of the room watches its channel; replicas ask the origin for keyframes on a second channel.
import { Redis } from 'ioredis';
import type { Logger } from '../log';

export interface BusEvents {
  /** one bus message of a watched room (the bytes are the receiver's) */
  message(room: string, data: Uint8Array): void;
  /** a replica asked for a keyframe of a room this node serves */
  keyframeRequest(room: string): void;
  /** a replica has viewers waiting for a motion key of a room this node serves (see server/fanout/motion.ts) */
  motionKeyRequest(room: string): void;
  /** a node became the origin of a room this node serves (it may have been the origin until now) */
  originChanged(room: string, epoch: number): void;
  /** the subscription link was lost: watched rooms may miss messages until `resync` */
  down(): void;
  /** the link is back and every subscription restored: watchers must resync */
  resync(): void;
}

export interface RoomBus {
  /** 'sharded' (SPUBLISH/SSUBSCRIBE, Redis >= 7) or 'classic' (PUBLISH/SUBSCRIBE) */
  readonly mode: 'sharded' | 'classic';
  publish(room: string, chunks: readonly Uint8Array[]): void;
  watch(room: string): void;
  unwatch(room: string): void;
  requestKeyframe(room: string): void;
  /** asks the origin to have its presenter send a motion key */
  requestMotionKey(room: string): void;
  /** tells the previous origin (it serves the room) that this node took the room over at `epoch` */
  announceOrigin(room: string, epoch: number): void;
  /** origin side: listen to keyframe requests of this room */
  serve(room: string): void;
  unserve(room: string): void;
  close(): Promise<void>;
}

/**
 * Both channels of a room share the hash tag, so a Redis Cluster keeps a room on one shard. The frame channel is
 * watched by replicas only (an origin never gets its own frames back); the control channel by the origin only.
 */
const frameChannel = (room: string) => `tc:{${room}}:f`;
const keyChannel = (room: string) => `tc:{${room}}:k`;

/** control channel messages: [kind u8] (+ [epoch u32] for an origin change) */
const CONTROL_KEYFRAME = 1;
const CONTROL_ORIGIN = 2;
const CONTROL_MOTION_KEY = 3;

export function redisOptions(url: string, name: string) {
  // unix:/path or unix:///path -> a Unix socket; anything else is a redis:// URL
  const unix = /^unix:(?:\/\/)?(\/.+)$/.exec(url);
  const base = {
    connectionName: name,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    retryStrategy: (n: number) => Math.min(50 * n, 200),
  };
  return unix ? { path: unix[1], ...base } : { url, ...base };
}

export function connectRedis(url: string, name: string, extra: object = {}): Redis {
  const { url: u, ...opts } = redisOptions(url, name) as { url?: string };
  return u ? new Redis(u, { ...opts, ...extra }) : new Redis({ ...opts, ...extra });
}

export class RedisRoomBus implements RoomBus {
  private readonly watched = new Set<string>();
  private readonly served = new Set<string>();
  private wasDown = false;
  /** the subscription is back; `resync` waits for the command link too */
  private resyncPending = false;

  private constructor(
    readonly mode: 'sharded' | 'classic',
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly events: BusEvents,
    private readonly log: Logger,
  ) {
    const onMessage = (channel: Buffer | string, data: Buffer) => {
      const name = channel.toString();
      const room = name.slice(4, name.length - 3);
      if (name.endsWith('}:f')) this.events.message(room, data);
      else if (name.endsWith('}:k')) {
        if (data[0] === CONTROL_ORIGIN && data.byteLength >= 5) this.events.originChanged(room, data.readUInt32LE(1));
        else if (data[0] === CONTROL_MOTION_KEY) this.events.motionKeyRequest(room);
        else this.events.keyframeRequest(room);
      }
    };
    sub.on(mode === 'sharded' ? 'smessageBuffer' : 'messageBuffer', onMessage);
    sub.on('close', () => {
      this.resyncPending = false;
      if (this.wasDown) return;
      this.wasDown = true;
      this.log.warn('bus subscription lost; watched rooms resync when it is back');
      this.events.down();
    });
    // ioredis re-subscribes on reconnect before 'ready'; only then can a resync hear its keyframe.
    sub.on('ready', () => {
      if (!this.wasDown) return;
      this.wasDown = false;
      this.resyncPending = true;
      this.resyncWhenReady();
    });
    pub.on('ready', () => this.resyncWhenReady());
    for (const r of [pub, sub]) r.on('error', (err) => this.log.debug({ err: err.message }, 'redis connection error'));
  }

  /**
   * A resync also needs the command link, which reconnects on its own and queues nothing while away: keyframe
   * requests and answers, and the origin writing its rooms back into a restarted Redis, would fail until then.
   */
  private resyncWhenReady(): void {
    if (!this.resyncPending || this.sub.status !== 'ready' || this.pub.status !== 'ready') return;
    this.resyncPending = false;
    this.log.info('bus subscription back; resyncing');
    this.events.resync();
  }

  static async connect(url: string, nodeId: string, events: BusEvents, log: Logger): Promise<RedisRoomBus> {
    // Publishes fail fast while Redis is away rather than queue without bound; replicas resync afterwards.
    const pub = connectRedis(url, `tilecast-${nodeId}-pub`, { enableOfflineQueue: false });
    const sub = connectRedis(url, `tilecast-${nodeId}-sub`);
    await Promise.all([pub.connect(), sub.connect()]);
    const version = /redis_version:(\d+)/.exec(await pub.info('server'))?.[1];
    const mode = Number(version) >= 7 ? 'sharded' : 'classic';
    if (mode === 'classic') log.warn({ version }, 'Redis before 7.0: no sharded pub/sub, using PUBLISH/SUBSCRIBE');
    return new RedisRoomBus(mode, pub, sub, events, log);
  }

  /** The command connection, shared with the directory. */
  get commands(): Redis {
    return this.pub;
  }

  publish(room: string, chunks: readonly Uint8Array[]): void {
    const channel = frameChannel(room);
    for (const c of chunks) this.send(channel, Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  }

  watch(room: string): void {
    if (this.watched.has(room)) return;
    this.watched.add(room);
    this.subscribe(frameChannel(room));
  }

  unwatch(room: string): void {
    if (this.watched.delete(room)) this.unsubscribe(frameChannel(room));
  }

  requestKeyframe(room: string): void {
    this.send(keyChannel(room), Buffer.of(CONTROL_KEYFRAME));
  }

  requestMotionKey(room: string): void {
    this.send(keyChannel(room), Buffer.of(CONTROL_MOTION_KEY));
  }

  announceOrigin(room: string, epoch: number): void {
    const msg = Buffer.alloc(5);
    msg[0] = CONTROL_ORIGIN;
    msg.writeUInt32LE(epoch >>> 0, 1);
    this.send(keyChannel(room), msg);
  }

  serve(room: string): void {
    if (this.served.has(room)) return;
    this.served.add(room);
    this.subscribe(keyChannel(room));
  }

  unserve(room: string): void {
    if (this.served.delete(room)) this.unsubscribe(keyChannel(room));
  }

  async close(): Promise<void> {
    this.sub.removeAllListeners('close');
    this.pub.disconnect();
    this.sub.disconnect();
  }

  private send(channel: string, data: Buffer): void {
    const p = this.mode === 'sharded' ? this.pub.spublish(channel, data) : this.pub.publish(channel, data);
    p.catch((err: Error) => this.log.debug({ err: err.message, channel }, 'bus publish failed'));
  }

  private subscribe(channel: string): void {
    const p = this.mode === 'sharded' ? this.sub.ssubscribe(channel) : this.sub.subscribe(channel);
    p.catch((err: Error) => this.log.warn({ err: err.message, channel }, 'bus subscribe failed'));
  }

  private unsubscribe(channel: string): void {
    const p = this.mode === 'sharded' ? this.sub.sunsubscribe(channel) : this.sub.unsubscribe(channel);
    p.catch((err: Error) => this.log.debug({ err: err.message, channel }, 'bus unsubscribe failed'));
  }
}
