// Room fan-out: owns every viewer's life cycle (join with a keyframe, reset on a geometry change, latest cursor
// and status, frames, acks, drains, leave); the room holds only ViewerHandles. Each ingested frame is applied to
// every viewer's grid and drained, in steps of at most `budget` (viewer x tile) updates; past that it yields to
// the event loop (setImmediate), so one busy room never stalls the others. Frames are applied in order; a viewer
// that joined after a frame skips it (its keyframe already had it).
import type { IngestedFrame, Keyframe } from '../frames/tile-entry';
import type { Connection } from '../transport/types';
import { JoinCache } from './join-cache';
import { type MotionChunk, MotionRelay } from './motion';
import { type SendTotals, Sender } from './sender';
import { stepSoon } from './step-queue';
import { Viewer, type ViewerHandle, type ViewerStats } from './viewer';

/** What a viewer joining a room with a picture is sent first: the geometry at once, then cursor and keyframe. */
export interface JoinPicture {
  geometry: Uint8Array;
  keyframe: Keyframe;
  cursor: Uint8Array | null;
}

/** longest a viewer-count status waits for a frame to ride with (see `status`) */
export const STATUS_RIDE_MS = 400;

/** Handles are made only by `Fanout.join`, so every handle a caller passes back is one of our viewers. */
const own = (handle: ViewerHandle): Viewer => handle as Viewer;

export class Fanout {
  private list: Viewer[] = [];
  private frames: IngestedFrame[] = [];
  /** index into `list` of the next viewer for frames[0] */
  private next = 0;
  private removed = 0;
  private nextId = 1;
  /** the newest stream position: the last frame published or geometry reset; a joiner's keyframe holds it */
  private ingestNo = 0;
  /** tiles coalesced for viewers that have left (the room's total counts them too) */
  private coalescedByGone = 0;
  /** a step is queued (see step-queue.ts); `clear` leaves it queued, and it finds no frame */
  private stepQueued = false;
  /** viewers drained on the next turn, outside an engine callback that has their socket corked (see `join`) */
  private soon: Viewer[] = [];
  private pendingSoon: NodeJS.Immediate | null = null;
  private pendingStatusFlush: NodeJS.Timeout | null = null;
  /** the ScreenShot as shared parts for joiners (see join-cache.ts) */
  private readonly joinCache = new JoinCache();
  /** fan-out steps that had to yield: a sign of a room too large for one turn */
  yields = 0;
  private readonly sender: Sender;
  readonly motionRelay: MotionRelay;

  constructor(
    private readonly budget: number,
    highWater: number,
    totals: SendTotals,
    private readonly onError: (err: unknown, viewer: ViewerHandle) => void,
    /** send caught-up viewers each frame as one shared message (clients must accept server Frame messages) */
    private readonly batching = false,
    ackWindow = Number.POSITIVE_INFINITY,
  ) {
    this.sender = new Sender(highWater, totals, ackWindow);
    this.motionRelay = new MotionRelay(this.sender, () => this.list, onError);
  }

  /** A motion chunk from ingest (throws if it does not continue the stream); see server/fanout/motion.ts. */
  motion(chunk: MotionChunk): void {
    this.motionRelay.publish(chunk);
  }

  get count(): number {
    return this.list.length - this.removed;
  }

  /** tiles replaced before they were sent, over every viewer the room has had */
  get coalesced(): number {
    let n = this.coalescedByGone;
    for (const v of this.list) if (!v.closed) n += v.grid.coalesced;
    return n;
  }

  /**
   * A new viewer: sent the geometry (with a picture), its status and the latest cursor at once, then, on the next
   * turn, the keyframe (shared Frame messages with batching, else dirty tiles) and a sync; everything flows through
   * the same sender as the frames that follow. The keyframe waits a turn because joins happen inside the engine's
   * open callback, where uWS has the new socket corked: a keyframe larger than the engine's cork buffer would be
   * copied into a socket buffer the engine keeps at that size for the socket's life.
   */
  join(conn: Connection, status: Uint8Array, picture: JoinPicture | null): ViewerHandle {
    const viewer = new Viewer(this.nextId++, conn);
    this.sender.attach(viewer);
    viewer.oweStatus(status);
    if (picture) {
      conn.send(picture.geometry);
      viewer.oweCursor(picture.cursor);
    }
    this.drain(viewer);
    if (picture) {
      // Before the first frame the keyframe holds no tile, and the join ends without a sync.
      const keyframe = picture.keyframe;
      const join = this.batching ? this.joinCache.get(keyframe, conn.corkBytes ?? Number.POSITIVE_INFINITY) : null;
      if (join && join.parts.tiles.length > 0) viewer.loadParts(keyframe, join);
      else viewer.load(keyframe);
      this.drainSoon(viewer);
    }
    viewer.joinedAtIngest = this.ingestNo;
    this.list.push(viewer);
    return viewer;
  }

  private drainSoon(viewer: Viewer): void {
    this.soon.push(viewer);
    this.pendingSoon ??= setImmediate(this.drainDeferred);
  }

  private drainDeferred = (): void => {
    this.pendingSoon = null;
    const viewers = this.soon;
    this.soon = [];
    for (const viewer of viewers) if (!viewer.closed) this.drain(viewer);
  };

  /**
   * Marks the viewer gone (false if it already was); the list is compacted between frames so an in-progress step
   * never skips anyone.
   */
  leave(handle: ViewerHandle): boolean {
    const viewer = own(handle);
    if (viewer.closed) return false;
    viewer.closed = true;
    this.coalescedByGone += viewer.grid.coalesced;
    this.removed++;
    if (this.frames.length === 0) this.compact();
    return true;
  }

  /**
   * A new geometry of `tiles` tiles: queued frames are dropped and every viewer starts over from an empty grid,
   * sent `message` at once. O(what each viewer still owes): grids keep their memory and clear only their queued
   * tiles. Changes are rate-limited at ingest (--max-geometry-changes-per-second).
   */
  reset(tiles: number, message: Uint8Array): void {
    this.clear();
    this.joinCache.clear();
    this.motionRelay.reset();
    for (const v of this.list) {
      if (v.closed) continue;
      v.reset(tiles, this.ingestNo);
      v.conn.send(message);
    }
  }

  /**
   * The latest cursor, latest wins: sent at once to viewers that owe no tiles, otherwise before their next tiles.
   * Like a status, only the cursor goes out here (this runs in the presenter's message callback).
   */
  cursor(message: Uint8Array): void {
    for (const v of this.list) {
      if (v.closed) continue;
      v.oweCursor(message);
      if (v.grid.pending === 0 && !v.parts) this.sendControl(v);
    }
  }

  private sendControl(viewer: Viewer): void {
    try {
      this.sender.sendControl(viewer);
    } catch (err) {
      this.onError(err, viewer);
    }
  }

  /**
   * The latest status, latest wins: sent at once where the socket has room, else before anything else the viewer
   * is owed. Only the status goes out here: statuses change inside other sockets' engine callbacks (joins, leaves,
   * the presenter's messages), where uWS would copy whatever else the viewer is owed into its socket buffer.
   *
   * `soon`: only the viewer count changed. Then the status rides with the viewer's next frame that shares a cork
   * with it (one write for both, not two; see Sender.goesAlone) and goes alone only to a viewer that got no such
   * frame within STATUS_RIDE_MS of its first owed change: while viewers join a live room, a count broadcast every
   * 250 ms to 1000 viewers was as many writes as the frames themselves. The wait counts per viewer: with joins every
   * ~200 ms, a room-wide timer found every viewer owing the count of a join made just before it fired and sent 1000
   * statuses alone about once a second.
   */
  status(message: Uint8Array, soon = false): void {
    if (soon) {
      const now = performance.now();
      for (const v of this.list) if (!v.closed) v.oweStatusSoon(message, now);
      this.flushStatusIn(STATUS_RIDE_MS);
      return;
    }
    for (const v of this.list) {
      if (v.closed) continue;
      v.oweStatus(message);
      this.sendControl(v);
    }
  }

  private flushStatusIn(ms: number): void {
    this.pendingStatusFlush ??= setTimeout(this.flushStatus, ms);
    this.pendingStatusFlush.unref?.();
  }

  /**
   * Sends the count alone to viewers that have owed it for STATUS_RIDE_MS (no frame took it along) and whose socket
   * has room (the others get it with their next drain); comes back for those owing a younger one.
   */
  private flushStatus = (): void => {
    this.pendingStatusFlush = null;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const v of this.list) {
      if (v.closed || !v.pendingStatus) continue;
      const due = v.statusOwedAt + STATUS_RIDE_MS;
      // 1 ms of slack: the timer's clock and performance.now() round differently
      if (due <= now + 1) this.sendControl(v);
      else if (due < next) next = due;
    }
    if (next !== Number.POSITIVE_INFINITY) this.flushStatusIn(next - now);
  };

  forEach(fn: (viewer: ViewerHandle) => void): void {
    for (const v of this.list) if (!v.closed) fn(v);
  }

  stats(): ViewerStats[] {
    const out: ViewerStats[] = [];
    for (const v of this.list) if (!v.closed) out.push(v.stats());
    return out;
  }

  /**
   * Queues a frame; the step runs on the next turn, outside the presenter's message callback: uWS corks only one
   * socket at a time, and inside that callback it is the presenter's, so per-viewer corks would do nothing and
   * every tile would be its own syscall.
   */
  publish(frame: IngestedFrame): void {
    this.ingestNo = frame.ingestNo;
    this.joinCache.frame(frame);
    this.frames.push(frame);
    if (!this.stepQueued) {
      this.stepQueued = true;
      stepSoon(this.step);
    }
  }

  /** Drops frames not yet applied (a geometry change made them meaningless, or the room ended). */
  clear(): void {
    this.frames.length = 0;
    this.next = 0;
    this.compact();
  }

  /**
   * The viewer painted `syncs` syncs: what the window held back goes out on the next turn. Acks arrive in the
   * viewer's own message callback, where uWS has its socket corked, so sending there would copy everything owed
   * into a socket buffer the engine keeps at that size.
   */
  ack(handle: ViewerHandle, syncs: number): void {
    const viewer = own(handle);
    // Only an ack that reopens a closed window frees anything to send. A viewer that keeps up acks every sync, and a
    // drain for each would send its count change alone instead of with its next frame.
    const held = this.sender.held(viewer);
    this.sender.ack(viewer, syncs);
    if (held) this.drainSoon(viewer);
  }

  /** The viewer's socket has room again (or something new is owed): send what fits. */
  drain(handle: ViewerHandle): void {
    const viewer = own(handle);
    try {
      this.sender.drain(viewer);
    } catch (err) {
      this.onError(err, viewer);
    }
  }

  private step = (): void => {
    this.stepQueued = false;
    let ops = 0;
    while (this.frames.length > 0) {
      const frame = this.frames[0];
      const list = this.list;
      while (this.next < list.length) {
        const viewer = list[this.next++];
        if (viewer.closed || viewer.joinedAtIngest >= frame.ingestNo) continue;
        ops += this.apply(viewer, frame);
        if (ops >= this.budget && (this.next < list.length || this.frames.length > 1)) {
          this.yields++;
          this.stepQueued = true;
          stepSoon(this.step);
          return;
        }
      }
      this.frames.shift();
      this.next = 0;
      if (this.frames.length === 0) this.compact();
    }
  };

  /** Applies one frame to one viewer; returns the work done, in (viewer x tile) updates. */
  private apply(viewer: Viewer, frame: IngestedFrame): number {
    try {
      if (this.batching && this.sender.sendFrame(viewer, frame)) return 1;
      viewer.queue(frame);
      this.sender.drain(viewer);
    } catch (err) {
      this.onError(err, viewer);
    }
    return frame.tiles.length + 1;
  }

  private compact(): void {
    if (this.removed === 0) return;
    this.list = this.list.filter((v) => !v.closed);
    this.removed = 0;
  }
}
