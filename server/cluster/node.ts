// One node of a cluster: which local Rooms are origins (presenter here: publish each event once) and which are
// replicas (viewers here: apply the bus to a local Room, resync by keyframe on any doubt).
import {
  CloseCode,
  type Geometry,
  MessageType,
  type PresenterStateName,
  ProtocolError,
  decodeMessage,
  encodeError,
  encodeGeometry,
  gridShape,
  sameGeometry,
} from '../../shared/protocol';
import type { Config } from '../config';
import { PresenterConflictError, RoomNotFoundError, TilecastError } from '../errors';
import type { Logger } from '../log';
import type { Room } from '../room/room';
import type { TileEntry } from '../frames/tile-entry';
import type { Connection } from '../transport/types';
import { RedisRoomBus, type RoomBus } from './bus';
import { type Directory, HEARTBEAT_MS, RedisDirectory, type RoomMeta } from './directory';
import { type BusMetrics, busMetrics } from './metrics';
import { remotePresenter } from './remote-presenter';
import { ClusterRoomStore } from './store';
import {
  type BusChunk,
  BusKind,
  Reassembler,
  chunk,
  frameBody,
  keyframeBody,
  readChunk,
  readFrameBody,
  readKeyframeBody,
  readStatusBody,
  smallBody,
  statusBody,
  tileEntries,
} from './wire';

/** An origin answers keyframe requests of one room at most this often. */
export const KEYFRAME_MIN_INTERVAL_MS = 500;
/** A replica that still waits for its keyframe asks again this often (a request may be lost with the link). */
const KEYFRAME_RETRY_MS = 400;
/** How often each node looks for rooms orphaned by a dead origin. */
const SWEEP_MS = 10_000;
/** Room's end reason when the grace period runs out (server/room/room.ts). */
const GRACE_EXPIRED = 'presenter did not come back';
/** How long a node taking a presenter over waits for the old origin's picture (it may be dead). */
const TAKEOVER_WARMUP_MS = 1000;
/** A replica without viewers is kept this long, so a viewer that reconnects at once finds it warm. */
const LINGER_MS = 2000;

interface Entry {
  room: Room;
  role: 'origin' | 'replica';
  /** origin: its own epoch; replica: the epoch of the picture it holds (0: none yet) */
  epoch: number;
  /** origin: last frame number published; replica: the one expected next */
  frameNo: number;
  awaiting: boolean;
  lastRequest: number;
  lastKeyframe: number;
  keyframeTimer: NodeJS.Timeout | null;
  lingerTimer: NodeJS.Timeout | null;
  reasm: Reassembler;
  remote: Connection;
  remoteAttached: boolean;
  /** this node's presenter socket while it is the origin */
  localPresenter: Connection | null;
  cursor: Uint8Array | null;
}

export class ClusterNode {
  readonly store: ClusterRoomStore;
  readonly metrics: BusMetrics;
  private bus!: RoomBus;
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<Room | null>>();
  private ticker: NodeJS.Timeout | null = null;
  private closed = false;
  url = '';

  private constructor(
    readonly config: Config,
    readonly directory: Directory,
    private readonly log: Logger,
    /** starts recording a room when this node becomes its origin */
    private readonly record: (room: Room) => void,
  ) {
    this.store = new ClusterRoomStore(config, log, directory);
    this.metrics = busMetrics(config.nodeId);
  }

  static async start(config: Config, log: Logger, record: (room: Room) => void): Promise<ClusterNode> {
    let node: ClusterNode | null = null;
    const bus = await RedisRoomBus.connect(
      config.redis!,
      config.nodeId,
      {
        message: (room, data) => node?.onMessage(room, data),
        keyframeRequest: (room) => node?.onKeyframeRequest(room),
        motionKeyRequest: (room) => node?.onMotionKeyRequest(room),
        originChanged: (room, epoch) => node?.onOriginChanged(room, epoch),
        down: () => node?.onBusDown(),
        resync: () => node?.onBusResync(),
      },
      log,
    );
    node = new ClusterNode(config, new RedisDirectory(bus.commands), log, record);
    node.bus = bus;
    log.info({ mode: bus.mode }, 'joined the cluster');
    return node;
  }

  get busMode(): string {
    return this.bus.mode;
  }

  /** Starts heartbeats once the node knows its public URL. */
  begin(url: string, engine: string): void {
    this.url = url;
    this.kick = () =>
      void this.tick(engine).then(
        () => {
          this.tickFailing = false;
        },
        (err) => {
          // Beat again at the next tick, not in HEARTBEAT_MS: after a Redis restart the directory lacks this
          // node's rooms until it beats (watchOrigins), and other nodes answer their viewers 4404 meanwhile.
          this.lastBeat = 0;
          if (!this.tickFailing) this.log.warn({ err: err.message }, 'cluster tick failed');
          this.tickFailing = true;
        },
      );
    this.kick();
    this.ticker = setInterval(this.kick, KEYFRAME_RETRY_MS);
    this.ticker.unref();
  }
  private kick: () => void = () => {};
  private tickFailing = false;

  // ---- rooms this node serves ------------------------------------------------------------------

  /** The local Room for a viewer: an origin or replica already here, or a new replica of a directory room. */
  async replica(id: string): Promise<Room | null> {
    const known = this.entries.get(id);
    if (known) return known.room;
    let p = this.pending.get(id);
    if (!p) {
      p = this.openReplica(id).finally(() => this.pending.delete(id));
      this.pending.set(id, p);
    }
    return p;
  }

  private async openReplica(id: string): Promise<Room | null> {
    const meta = await this.directory.room(id);
    if (!meta) return null;
    if (meta.state === 'ended') {
      this.store.markEnded(id);
      return null;
    }
    const known = this.entries.get(id);
    if (known) return known.room;
    const entry = this.entry(meta, 'replica');
    this.applyState(entry, meta.state);
    this.bus.watch(id);
    this.needKeyframe(entry, 'start');
    return entry.room;
  }

  /** Makes this node the room's origin for a presenter about to attach; throws what the presenter must hear. */
  async becomeOrigin(id: string): Promise<Room> {
    // Taking over from another node: start from its picture (as a replica) so viewers everywhere keep theirs.
    const before = this.entries.has(id) ? null : await this.directory.room(id);
    const warm =
      !!before &&
      before.state !== 'waiting' &&
      before.state !== 'ended' &&
      !!before.origin &&
      before.origin !== this.config.nodeId;
    if (warm) {
      await this.replica(id);
      await this.synced(id, TAKEOVER_WARMUP_MS);
    }
    const here = this.entries.get(id);
    if (here?.role === 'origin' && here.room.state === 'live') throw new PresenterConflictError(id);
    const claim = await this.directory.claimOrigin(id, this.config.nodeId);
    if (!claim.ok) {
      if (claim.reason === 'conflict') throw new PresenterConflictError(id);
      if (claim.reason === 'ended') throw new TilecastError('ROOM_ENDED', `room ${id} has ended`, 4404, 410);
      throw new RoomNotFoundError(id);
    }
    let entry = this.entries.get(id);
    if (!entry) entry = this.entry(claim.previous, 'origin');

    this.promote(entry, claim.epoch, claim.previous.state);
    this.log.info(
      { room: id, epoch: claim.epoch, previous: claim.previous.origin || null },
      'this node is the room origin',
    );
    return entry.room;
  }

  private entry(meta: RoomMeta, role: Entry['role']): Entry {
    const room = this.store.adopt(meta);
    const entry: Entry = {
      room,
      role,
      epoch: 0,
      frameNo: 0,
      awaiting: false,
      lastRequest: 0,
      lastKeyframe: 0,
      keyframeTimer: null,
      lingerTimer: null,
      reasm: new Reassembler(),
      remote: remotePresenter(() => this.bus.requestMotionKey(meta.id)),
      remoteAttached: false,
      localPresenter: null,
      cursor: null,
    };
    this.entries.set(meta.id, entry);
    room.addObserver({
      geometry: (g) => this.originPublish(entry, BusKind.geometry, smallBody(encodeGeometry(g))),
      frame: (f) => this.originPublish(entry, BusKind.frame, frameBody(f.seq, f.captureTs, f.tiles)),
      motion: (chunk) => this.originPublish(entry, BusKind.motion, smallBody(chunk.message)),
      cursor: (message) => {
        entry.cursor = message;
        this.originPublish(entry, BusKind.cursor, smallBody(message));
      },
      ended: (reason) => this.roomEnded(entry, reason),
    });
    return entry;
  }

  private promote(entry: Entry, epoch: number, previousState: PresenterStateName): void {
    const room = entry.room;
    // The Room must be free for the real presenter; a remote one makes way as if it dropped.
    if (entry.remoteAttached) {
      entry.remoteAttached = false;
      room.presenterLeft(entry.remote, false);
    } else if (previousState !== 'waiting' && room.state === 'waiting') {
      room.attachPresenter(entry.remote);
      room.presenterLeft(entry.remote, false);
    }
    entry.role = 'origin';
    entry.epoch = epoch;
    entry.frameNo = 0;
    entry.awaiting = false;
    entry.reasm.reset();
    if (entry.lingerTimer) clearTimeout(entry.lingerTimer);
    entry.lingerTimer = null;
    // An origin does not watch its own frames; the previous origin hears of the change on the control channel.
    this.bus.unwatch(room.id);
    this.bus.serve(room.id);
    this.bus.announceOrigin(room.id, epoch);
    if (room.options.record && !room.recordingId) this.record(room);
  }

  /** Another node holds the presenter now: this origin becomes a replica of it. */
  private demote(entry: Entry): void {
    this.log.info({ room: entry.room.id }, 'another node took the presenter over; now a replica');
    entry.role = 'replica';
    // A presenter still here (the directory lost track of it, e.g. through a long Redis outage) must not present
    // a second picture: the newer origin wins.
    const stale = entry.localPresenter;
    entry.localPresenter = null;
    if (stale?.open) {
      stale.send(encodeError(CloseCode.PresenterConflict, 'another node took this room over'));
      stale.close(CloseCode.PresenterConflict, 'another node took this room over');
    }
    entry.epoch = 0;
    this.bus.unserve(entry.room.id);
    if (entry.keyframeTimer) clearTimeout(entry.keyframeTimer);
    entry.keyframeTimer = null;
    this.bus.watch(entry.room.id);
    this.needKeyframe(entry, 'origin moved');
    this.releaseIfUnwatched(entry);
  }

  private onOriginChanged(id: string, epoch: number): void {
    const entry = this.entries.get(id);
    if (entry && entry.role === 'origin' && epoch > entry.epoch) this.demote(entry);
  }

  /** The presenter socket attached or left (socket layer): the origin tells every node. */
  presenterChanged(room: Room, conn: Connection | null = null): void {
    const entry = this.entries.get(room.id);
    if (!entry || entry.role !== 'origin' || entry.room !== room || room.ended) return;
    entry.localPresenter = conn?.open && room.state === 'live' ? conn : null;
    this.originPublish(entry, BusKind.status, statusBody(room.state));
    void this.directory
      .setState(room.id, entry.epoch, room.state)
      .catch((err) => this.log.warn({ err: err.message }, 'directory update failed'));
  }

  /** A local viewer left: a replica with nobody left is released after a short linger. */
  viewerLeft(room: Room): void {
    this.viewersChanged();
    const entry = this.entries.get(room.id);
    if (entry && entry.room === room) this.releaseIfUnwatched(entry);
  }

  /** Viewer counts changed: the next tick beats at once, so the directory's per-node counts follow within ~0.4 s. */
  viewersChanged(): void {
    this.lastBeat = 0;
  }

  private releaseIfUnwatched(entry: Entry): void {
    if (entry.role !== 'replica' || entry.room.viewerCount > 0 || entry.lingerTimer) return;
    entry.lingerTimer = setTimeout(() => {
      entry.lingerTimer = null;
      if (entry.role !== 'replica' || entry.room.viewerCount > 0 || this.entries.get(entry.room.id) !== entry) return;
      this.forgetEntry(entry);
      this.store.drop(entry.room, 'no viewers on this node');
    }, LINGER_MS);
    entry.lingerTimer.unref();
  }

  private forgetEntry(entry: Entry): void {
    const id = entry.room.id;
    if (this.entries.get(id) !== entry) return;
    this.entries.delete(id);
    if (entry.keyframeTimer) clearTimeout(entry.keyframeTimer);
    if (entry.lingerTimer) clearTimeout(entry.lingerTimer);
    this.bus.unwatch(id);
    this.bus.unserve(id);
  }

  private roomEnded(entry: Entry, reason: string): void {
    if (this.entries.get(entry.room.id) !== entry) return;
    // A replica whose grace ran out (its origin died and nobody resumed) ends the room in the directory too,
    // unless a presenter resumed somewhere since (then the epoch moved on and nothing changes).
    if (entry.role === 'replica' && reason === GRACE_EXPIRED && entry.epoch > 0)
      void this.directory.setState(entry.room.id, entry.epoch, 'ended').catch(() => false);
    if (entry.role === 'origin') {
      this.originPublish(entry, BusKind.status, statusBody('ended'));
      void this.directory
        .setState(entry.room.id, entry.epoch, 'ended')
        .catch((err) => this.log.warn({ err: err.message }, 'directory update failed'));
    }
    this.forgetEntry(entry);
  }

  // ---- origin side -----------------------------------------------------------------------------

  private originPublish(entry: Entry, kind: BusKind, message: Uint8Array): void {
    if (entry.role !== 'origin' || this.closed) return;
    entry.frameNo = (entry.frameNo + 1) >>> 0;
    this.send(entry, kind, message);
  }

  private send(entry: Entry, kind: BusKind, message: Uint8Array): void {
    const chunks = chunk(
      message,
      { kind, epoch: entry.epoch, frameNo: entry.frameNo, publishedAt: Date.now() },
      this.config.busMaxMessageBytes,
    );
    this.bus.publish(entry.room.id, chunks);
    this.metrics.framesPublished.inc();
    this.metrics.bytesPublished.inc(message.byteLength);
  }

  private onKeyframeRequest(id: string): void {
    const entry = this.entries.get(id);
    if (!entry || entry.role !== 'origin' || entry.keyframeTimer) return;
    const wait = entry.lastKeyframe + KEYFRAME_MIN_INTERVAL_MS - Date.now();
    if (wait <= 0) return this.sendKeyframe(entry);
    // Requests inside the interval share one keyframe at its end.
    entry.keyframeTimer = setTimeout(() => {
      entry.keyframeTimer = null;
      this.sendKeyframe(entry);
    }, wait);
    entry.keyframeTimer.unref();
  }

  /** A replica's viewers wait for a motion key: the origin asks its presenter (rate-limited per room there too). */
  private onMotionKeyRequest(id: string): void {
    const entry = this.entries.get(id);
    if (entry?.role === 'origin') entry.room.requestMotionKey();
  }

  private sendKeyframe(entry: Entry): void {
    if (entry.role !== 'origin' || entry.room.ended) return;
    entry.lastKeyframe = Date.now();
    const ks = entry.room.keyframe();
    const tiles = ks.tiles.filter((t): t is TileEntry => t !== null);
    const body = keyframeBody(
      entry.room.state,
      ks.geometry ? encodeGeometry(ks.geometry) : null,
      entry.cursor,
      ks.seq,
      ks.captureTs,
      tiles,
    );
    // Not a new frame number: the keyframe is the picture as of the last one published.
    this.send(entry, BusKind.keyframe, body);
    this.metrics.keyframesSent.inc();
  }

  // ---- replica side ----------------------------------------------------------------------------

  private onMessage(id: string, data: Uint8Array): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    const c = readChunk(data);
    if (!c) return;
    if (entry.role === 'origin') return; // a message from before this node took over
    this.metrics.bytesReceived.inc(data.byteLength);
    const { lost, whole } = entry.reasm.push(c);
    if (lost) this.gap(entry, 'lost chunk');
    if (!whole) return;
    this.metrics.framesReceived.inc();
    this.metrics.lag.observe(Math.max(0, Date.now() - c.publishedAt) / 1000);
    try {
      this.apply(entry, c, whole);
    } catch (err) {
      // A message this node cannot apply must not break it: start over from a keyframe.
      this.log.warn({ err: (err as Error).message, room: id }, 'bus message not applied; resyncing');
      this.gap(entry, 'bad message');
    }
  }

  private apply(entry: Entry, c: BusChunk, body: Uint8Array): void {
    // Presenter state applies whatever the sequence says: `ended` must reach viewers even mid-resync.
    if (c.kind === BusKind.status && c.epoch >= entry.epoch) this.applyState(entry, readStatusBody(body));
    if (c.kind === BusKind.keyframe) {
      if (!entry.awaiting && c.epoch === entry.epoch) return; // answer to another replica's request
      this.applyKeyframe(entry, body);
      entry.epoch = c.epoch;
      entry.frameNo = (c.frameNo + 1) >>> 0;
      entry.awaiting = false;
      this.metrics.resyncs.inc();
      return;
    }
    if (entry.room.ended) return;
    if (entry.awaiting) {
      // A first presenter (or a new origin) is publishing: ask it now rather than at the next retry.
      if (c.epoch !== entry.epoch && Date.now() - entry.lastRequest > 50) this.requestKeyframe(entry);
      return;
    }
    if (c.epoch !== entry.epoch) return this.gap(entry, 'new epoch');
    if (c.frameNo !== entry.frameNo) return this.gap(entry, 'frame gap');
    entry.frameNo = (entry.frameNo + 1) >>> 0;
    const room = entry.room;
    switch (c.kind) {
      case BusKind.geometry: {
        const msg = decodeMessage(body);
        if (msg.type === 0x02 && !sameGeometry(room.geometry, msg.geometry))
          room.setGeometry(msg.geometry, Uint8Array.from(body));
        return;
      }
      case BusKind.frame: {
        const f = readFrameBody(body);
        if (!room.geometry) return this.gap(entry, 'frame before geometry');
        room.applyFrame(f.seq, f.captureTs, tileEntries(f.tiles, gridShape(room.geometry).columns), body.byteLength);
        return;
      }
      case BusKind.cursor: {
        const msg = decodeMessage(body);
        if (msg.type === 0x03) room.cursor(Uint8Array.from(body), msg.x, msg.y, msg.visible);
        return;
      }
      case BusKind.motion:
        return this.applyMotion(room, body);
    }
  }

  /**
   * A motion chunk, relayed as on the origin. A delta that does not continue this replica's stream (it joined
   * the room mid-stream, or resynced) is not an error here: its viewers wait for the next key, which the presenter
   * sends at least every 2 s, or sooner: the Room asks its (remote) presenter for one, which this node relays to
   * the origin (`remotePresenter`, `onMotionKeyRequest`).
   */
  private applyMotion(room: Room, body: Uint8Array): void {
    if (!room.geometry) return;
    const msg = decodeMessage(body, { geometry: room.geometry });
    if (msg.type !== MessageType.Motion) return;
    const { key, codec, col, row, columns, rows } = msg;
    try {
      room.motion({ key, codec, region: { col, row, columns, rows }, message: Uint8Array.from(body) }, body.byteLength);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      // A delta of a stream this replica never saw the key of: its viewers wait, so ask for a key now.
      room.requestMotionKey();
    }
  }

  private applyKeyframe(entry: Entry, body: Uint8Array): void {
    const k = readKeyframeBody(body);
    const room = entry.room;
    if (k.geometry) {
      const msg = decodeMessage(k.geometry);
      if (msg.type !== 0x02) throw new Error('keyframe geometry is not a geometry message');
      const columns = gridShape(msg.geometry).columns;
      const tiles = tileEntries(k.tiles, columns);
      if (!sameGeometry(room.geometry, msg.geometry) || this.holdsTilesBeyond(room, tiles)) {
        room.setGeometry(msg.geometry, Uint8Array.from(k.geometry));
      }
      // Only what changed goes to the viewers: a resync after a short outage costs little.
      const current = room.keyframe().tiles;
      const changed = tiles.filter((t) => {
        const old = current[t.index];
        return !old || Buffer.compare(old.message, t.message) !== 0;
      });
      room.applyFrame(k.seq, k.captureTs, changed, body.byteLength);
    }
    if (k.cursor) {
      const msg = decodeMessage(k.cursor);
      if (msg.type === 0x03) room.cursor(Uint8Array.from(k.cursor), msg.x, msg.y, msg.visible);
    }
    this.applyState(entry, k.state);
  }

  /** true when the replica shows tiles the origin's picture does not have: only a reset can clear them */
  private holdsTilesBeyond(room: Room, tiles: readonly TileEntry[]): boolean {
    const ks = room.keyframe();
    if (ks.filled <= tiles.length) {
      const present = new Set(tiles.map((t) => t.index));
      return ks.tiles.some((t) => t !== null && !present.has(t.index));
    }
    return true;
  }

  private applyState(entry: Entry, state: PresenterStateName): void {
    if (entry.role !== 'replica') return;
    const room = entry.room;
    if (room.ended) return;
    if (state === 'live' && !entry.remoteAttached) {
      room.attachPresenter(entry.remote);
      entry.remoteAttached = true;
    } else if (state === 'reconnecting') {
      if (!entry.remoteAttached && room.state === 'waiting') room.attachPresenter(entry.remote);
      else if (!entry.remoteAttached) return;
      entry.remoteAttached = false;
      room.presenterLeft(entry.remote, false);
    } else if (state === 'ended') {
      room.end('presenter ended the session');
    }
  }

  private gap(entry: Entry, why: string): void {
    this.metrics.gaps.inc();
    // Chunks were lost: a delta after them would not decode, so viewers wait for the next motion key.
    entry.room.motionBroken();
    this.needKeyframe(entry, why);
  }

  private needKeyframe(entry: Entry, why: string): void {
    entry.reasm.reset();
    if (!entry.awaiting) this.log.debug({ room: entry.room.id, why }, 'replica needs a keyframe');
    entry.awaiting = true;
    this.requestKeyframe(entry);
  }

  private requestKeyframe(entry: Entry): void {
    entry.lastRequest = Date.now();
    this.bus.requestKeyframe(entry.room.id);
    this.metrics.keyframeRequests.inc();
  }

  // ---- faults and housekeeping -----------------------------------------------------------------

  private onBusDown(): void {
    for (const entry of this.entries.values()) {
      if (entry.role !== 'replica') continue;
      // Viewers keep their last picture and learn the presenter is out of reach for now.
      entry.awaiting = true;
      entry.reasm.reset();
      this.applyState(entry, 'reconnecting');
    }
  }

  private onBusResync(): void {
    // Redis may have restarted without its data: write this origin's rooms back now (the beat does), not at the
    // next heartbeat, or every other node refuses their new viewers with 4404 for up to HEARTBEAT_MS.
    this.lastBeat = 0;
    this.kick();
    for (const entry of this.entries.values()) {
      if (entry.role === 'replica') this.needKeyframe(entry, 'bus reconnected');
      // Replicas' requests may arrive before this origin has re-subscribed: offer a keyframe unasked.
      else this.onKeyframeRequest(entry.room.id);
    }
  }

  private async tick(engine: string): Promise<void> {
    const now = Date.now();
    // No retries while nobody presents: the first origin's first message triggers the request.
    for (const entry of this.entries.values())
      if (
        entry.role === 'replica' &&
        entry.awaiting &&
        entry.room.state !== 'waiting' &&
        now - entry.lastRequest >= KEYFRAME_RETRY_MS
      )
        this.requestKeyframe(entry);
    if (now - this.lastBeat < HEARTBEAT_MS) return;
    this.lastBeat = now;
    const viewers: Record<string, number> = {};
    const presenting: string[] = [];
    for (const [id, e] of this.entries) {
      if (e.room.viewerCount) viewers[id] = e.room.viewerCount;
      if (e.role === 'origin' && e.room.state === 'live') presenting.push(id);
    }
    await this.directory.heartbeat({ id: this.config.nodeId, url: this.url, engine, viewers, presenting, at: now });
    await this.watchOrigins();
    if (now - this.lastSweep >= SWEEP_MS) {
      this.lastSweep = now;
      await this.sweepDirectory(now);
    }
  }
  private lastBeat = 0;
  private lastSweep = 0;

  /**
   * Rooms whose origin died with no replica left to notice: any node moves them to `reconnecting`, and ends them
   * once the grace period has passed without a presenter. Compare-and-set on the epoch keeps this idempotent.
   */
  private async sweepDirectory(now: number): Promise<void> {
    const [rooms, nodes] = await Promise.all([this.directory.rooms(), this.directory.nodes()]);
    const alive = new Set(nodes.map((n) => n.id));
    const graceMs = this.config.graceSeconds * 1000;
    for (const meta of rooms) {
      if (!meta.origin || alive.has(meta.origin)) continue;
      if (meta.state === 'live') await this.directory.setState(meta.id, meta.epoch, 'reconnecting');
      else if (meta.state === 'reconnecting' && meta.since && now - meta.since > graceMs + SWEEP_MS)
        await this.directory.setState(meta.id, meta.epoch, 'ended');
    }
  }

  /** A replica whose origin node died shows reconnecting, so its presenter may resume anywhere within grace. */
  private async watchOrigins(): Promise<void> {
    for (const entry of [...this.entries.values()]) {
      if (entry.role === 'origin' && !entry.room.ended) {
        // Fallback for a lost announcement: the directory names another origin.
        const current = await this.directory.room(entry.room.id);
        if (current && current.epoch > entry.epoch && current.origin !== this.config.nodeId) {
          if (entry.role === 'origin') this.demote(entry);
          continue;
        }
        const o = entry.room.options;
        await this.directory.restore({
          id: o.id,
          name: o.name,
          private: o.private,
          record: o.record,
          createdAt: new Date(entry.room.createdAt).toISOString(),
          origin: this.config.nodeId,
          state: entry.room.state,
          epoch: entry.epoch,
        });
        continue;
      }
      if (entry.role !== 'replica' || !entry.remoteAttached) continue;
      const meta = await this.directory.room(entry.room.id);
      // Missing: Redis lost its data (restart without persistence); the origin writes it again.
      if (!meta) continue;
      if (meta.state === 'ended') {
        if (this.entries.get(entry.room.id) === entry) this.applyState(entry, 'ended');
        continue;
      }
      if (meta.state !== 'live' || !meta.origin || (await this.directory.nodeAlive(meta.origin))) continue;
      this.log.warn({ room: meta.id, origin: meta.origin }, 'origin node is gone; room waits for its presenter');
      if (await this.directory.setState(meta.id, meta.epoch, 'reconnecting')) this.applyState(entry, 'reconnecting');
    }
  }

  /**
   * Leaving on purpose (shutdown): rooms presented here go to `reconnecting` everywhere, so their presenters can
   * resume on another node at once; then this node forgets every room without ending any.
   */
  async leave(): Promise<void> {
    const pending: Promise<unknown>[] = [];
    for (const entry of this.entries.values()) {
      if (entry.role !== 'origin' || entry.room.state !== 'live') continue;
      this.originPublish(entry, BusKind.status, statusBody('reconnecting'));
      pending.push(this.directory.setState(entry.room.id, entry.epoch, 'reconnecting').catch(() => false));
    }
    await Promise.all(pending);
    await this.directory.leave(this.config.nodeId).catch(() => {});
    this.closed = true;
    for (const entry of [...this.entries.values()]) this.forgetEntry(entry);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.ticker) clearInterval(this.ticker);
    await this.directory.leave(this.config.nodeId).catch(() => {});
    await this.bus.close();
  }

  /** true when the room is already local here (origin or replica) */
  serves(id: string): boolean {
    return this.entries.has(id);
  }

  /** For operators and tests: the local role of each room. */
  roles(): Record<string, { role: string; epoch: number; awaiting: boolean }> {
    const out: Record<string, { role: string; epoch: number; awaiting: boolean }> = {};
    for (const [id, e] of this.entries) out[id] = { role: e.role, epoch: e.epoch, awaiting: e.awaiting };
    return out;
  }

  /** Resolves when the room's local picture is in sync (replica) or at once (origin); false on timeout. */
  async synced(id: string, timeoutMs: number): Promise<boolean> {
    const start = Date.now();
    for (;;) {
      const e = this.entries.get(id);
      if (e && (e.role === 'origin' || !e.awaiting)) return true;
      if (Date.now() - start > timeoutMs) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

export type { Geometry };
