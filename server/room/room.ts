// A room: one presenter, its ScreenShot, the viewers' fan-out, and the presenter's life cycle
// (waiting -> live -> reconnecting within grace -> live | ended). Engine-agnostic: it only sees Connections.
import {
  CloseCode,
  type Geometry,
  type PresenterStateName,
  type ServerControl,
  encodeError,
  encodeStatus,
  gridShape,
} from '../../shared/protocol';
import { DOUBLE_ZERO } from '../double-zero';
import { Fanout } from '../fanout/fanout';
import type { MotionChunk } from '../fanout/motion';
import type { SendTotals } from '../fanout/sender';
import type { ViewerHandle, ViewerStats } from '../fanout/viewer';
import { PresenterConflictError, RoomEndedError, RoomFullError } from '../errors';
import type { IngestedFrame, TileEntry } from '../frames/tile-entry';
import type { Logger } from '../log';
import type { Connection } from '../transport/types';
import { FpsMeter } from './fps-meter';
import type { RoomObserver } from './observer';
import { ScreenShot } from './screenshot';

export interface RoomOptions {
  id: string;
  name: string;
  private: boolean;
  record: boolean;
  graceMs: number;
  maxScreenshotBytes: number;
  maxViewers: number;
  highWater: number;
  fanoutBudget: number;
  batchFanout: boolean;
  ackWindow: number;
}

export interface RoomInfo {
  id: string;
  name: string;
  private: boolean;
  presenter: PresenterStateName;
  viewers: number;
  fps: number;
  framesIn: number;
  bytesIn: number;
  bytesOut: number;
  tilesIn: number;
  tilesCoalesced: number;
  /** motion chunks received, sent (over every viewer) and not sent to a viewer out of the stream */
  motionIn: number;
  motionSent: number;
  motionDropped: number;
  fanoutYields: number;
  geometry: Geometry | null;
  screenshotBytes: number;
  createdAt: string;
  recording: string | null;
}

/** what a presenter is sent when viewers wait for a motion key (a cluster replica's remote presenter forwards it) */
export const MOTION_KEY_REQUEST = JSON.stringify({ type: 'motionKey' } satisfies ServerControl);

/**
 * How often viewer-count changes are broadcast at most: joins of many viewers must not cost O(viewers^2). Each
 * broadcast is a message to every viewer, so large rooms wait longer (1 ms per viewer, up to 2 s): at 1000
 * viewers with 33 joins a second, counts every 250 ms took tilecast-ws from 6900 to 8600 messages a second.
 */
const STATUS_THROTTLE_MS = 250;
const STATUS_THROTTLE_MS_PER_VIEWER = 1;
const STATUS_THROTTLE_MAX_MS = 2000;

/** how long a count change waits at most in a room of `viewers` viewers */
export function statusThrottleMs(viewers: number): number {
  return Math.min(STATUS_THROTTLE_MAX_MS, Math.max(STATUS_THROTTLE_MS, viewers * STATUS_THROTTLE_MS_PER_VIEWER));
}

export class Room {
  state: PresenterStateName = 'waiting';
  readonly createdAt = Date.now();
  lastActivity = Date.now();
  recordingId: string | null = null;
  /** a presenter has joined at least once (rooms never presented in are swept sooner) */
  presented = false;
  /** runs before the first presenter is admitted (the recording starts here); throwing refuses that presenter */
  onFirstPresenter: (() => void) | null = null;
  private presenter: Connection | null = null;
  private readonly screenshot: ScreenShot;
  private readonly fanout: Fanout;
  private readonly observers: RoomObserver[] = [];
  private geometryMessage: Uint8Array | null = null;
  private cursorMessage: Uint8Array | null = null;
  private ingestNo = 0;
  private graceTimer: NodeJS.Timeout | null = null;
  private statusTimer: NodeJS.Timeout | null = null;
  private readonly fps = new FpsMeter();
  private readonly totals: SendTotals = { bytesOut: DOUBLE_ZERO };
  framesIn = 0;
  bytesIn = DOUBLE_ZERO;
  tilesIn = 0;
  motionIn = 0;

  constructor(
    readonly options: RoomOptions,
    private readonly log: Logger,
    private readonly onEnded: (room: Room) => void,
  ) {
    this.screenshot = new ScreenShot(options.maxScreenshotBytes);
    this.fanout = new Fanout(
      options.fanoutBudget,
      options.highWater,
      this.totals,
      (err, viewer) => {
        this.log.error({ err, viewer: viewer.id }, 'viewer send failed; closing that viewer only');
        viewer.conn.close(CloseCode.InternalError, 'internal error');
      },
      options.batchFanout,
      options.ackWindow,
    );
    this.fanout.motionRelay.onNeedKey = () => this.presenter?.send(MOTION_KEY_REQUEST, false);
  }

  get id(): string {
    return this.options.id;
  }

  get geometry(): Geometry | null {
    return this.screenshot.current().geometry;
  }

  get ended(): boolean {
    return this.state === 'ended';
  }

  get viewerCount(): number {
    return this.fanout.count;
  }

  keyframe() {
    return this.screenshot.current();
  }

  addObserver(observer: RoomObserver): void {
    this.observers.push(observer);
  }

  // ---- presenter side --------------------------------------------------------------------------

  /** Returns whether this resumed a room whose presenter dropped. */
  attachPresenter(conn: Connection): { resumed: boolean } {
    if (this.ended) throw new RoomEndedError(this.id);
    if (this.presenter) throw new PresenterConflictError(this.id);
    const resumed = this.state === 'reconnecting';
    if (!this.presented) {
      this.onFirstPresenter?.();
      if (this.ended) throw new RoomEndedError(this.id);
      this.presented = true;
    }
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = null;
    // Viewers hear 'live' now; the presenter itself gets its welcome first, then the status (sockets/handlers.ts).
    this.setState('live');
    this.presenter = conn;
    this.log.info({ resumed }, resumed ? 'presenter resumed' : 'presenter connected');
    return { resumed };
  }

  /** The presenter's socket closed: on purpose ends the room, otherwise viewers wait through the grace period. */
  presenterLeft(conn: Connection, intentional: boolean): void {
    if (this.presenter !== conn) return;
    this.presenter = null;
    if (this.ended) return;
    if (intentional || this.options.graceMs === 0) return this.end('presenter ended the session');
    this.setState('reconnecting');
    this.log.info({ graceMs: this.options.graceMs }, 'presenter dropped; waiting for it to come back');
    this.graceTimer = setTimeout(() => this.end('presenter did not come back'), this.options.graceMs);
    this.graceTimer.unref?.();
  }

  setGeometry(geometry: Geometry, message: Uint8Array): void {
    const now = Date.now();
    this.lastActivity = now;
    this.screenshot.reset(geometry);
    this.geometryMessage = message;
    this.fanout.reset(gridShape(geometry).tiles, message);
    this.notify('geometry', (o) => o.geometry?.(geometry, now));
  }

  /** Applies a frame to the ScreenShot (throws RoomLimitError, nothing applied) and fans it out. */
  /** `synced`: the whole frame as one Frame message with EndsWithSync, when the caller has one (see ingest). */
  applyFrame(seq: number, captureTs: number, tiles: TileEntry[], bytes: number, synced?: Uint8Array): IngestedFrame {
    const now = Date.now();
    // `parts` present from the start (set on first send): every frame keeps one shape, so the fan-out's reads of it
    // stay monomorphic (adding it later gave two).
    const frame: IngestedFrame = {
      seq,
      captureTs,
      receivedAt: now,
      tiles,
      ingestNo: this.ingestNo + 1,
      parts: undefined,
      synced,
    };
    const keyframe = this.screenshot.apply(frame);
    this.ingestNo = frame.ingestNo;
    this.lastActivity = now;
    this.framesIn++;
    this.tilesIn += tiles.length;
    this.bytesIn += bytes;
    this.fps.tick(now);
    this.fanout.publish(frame);
    this.notify('frame', (o) => o.frame?.(frame, keyframe));
    return frame;
  }

  /** A motion chunk: relayed to viewers only (the ScreenShot and recordings get the region as still tiles). */
  motion(chunk: MotionChunk, bytes: number): void {
    this.fanout.motion(chunk);
    this.notify('motion', (o) => o.motion?.(chunk));
    this.lastActivity = Date.now();
    this.motionIn++;
    this.bytesIn += bytes;
  }

  /** Viewers on another node wait for a motion key: ask this room's presenter, within the room's rate limit. */
  requestMotionKey(): void {
    this.fanout.motionRelay.requestKey();
  }

  /** The motion stream broke (a cluster replica lost its place): every viewer waits for the next key. */
  motionBroken(): void {
    this.fanout.motionRelay.reset();
  }

  cursor(message: Uint8Array, x: number, y: number, visible: boolean): void {
    this.cursorMessage = message;
    this.fanout.cursor(message);
    this.notify('cursor', (o) => o.cursor?.(message, x, y, visible, Date.now()));
  }

  // ---- viewer side -----------------------------------------------------------------------------

  addViewer(conn: Connection): ViewerHandle {
    if (this.fanout.count >= this.options.maxViewers) throw new RoomFullError(this.id, this.options.maxViewers);
    const keyframe = this.screenshot.current();
    const status = encodeStatus(this.state, this.fanout.count + 1);
    const picture =
      keyframe.geometry && this.geometryMessage
        ? { geometry: this.geometryMessage, keyframe, cursor: this.cursorMessage }
        : null;
    const viewer = this.fanout.join(conn, status, picture);
    this.scheduleStatus();
    return viewer;
  }

  removeViewer(viewer: ViewerHandle): void {
    if (this.fanout.leave(viewer)) this.scheduleStatus();
  }

  /** Closes the viewers whose connection context `revoked` picks (a rotated link); returns how many. */
  closeViewers(revoked: (context: unknown) => boolean, code: number, reason: string): number {
    const gone: ViewerHandle[] = [];
    this.fanout.forEach((v) => {
      if (revoked(v.conn.context)) gone.push(v);
    });
    for (const v of gone) {
      v.conn.send(encodeError(code, reason));
      v.conn.close(code, reason);
    }
    return gone.length;
  }

  ackViewer(viewer: ViewerHandle, syncs: number): void {
    this.fanout.ack(viewer, syncs);
  }

  drainViewer(viewer: ViewerHandle): void {
    this.fanout.drain(viewer);
  }

  // ---- life cycle ------------------------------------------------------------------------------

  /**
   * Ends the room for good. `serverGoingAway`: the server is shutting down, not the room ending, so clients get
   * 1001 (reconnect) and no `ended` status.
   */
  end(reason: string, serverGoingAway = false): void {
    if (this.ended) return;
    if (serverGoingAway)
      this.state = 'ended'; // no `ended` status: for its clients the room goes on elsewhere
    else this.setState('ended');
    this.fanout.clear();
    if (this.graceTimer) clearTimeout(this.graceTimer);
    if (this.statusTimer) clearTimeout(this.statusTimer);
    const status = serverGoingAway ? null : encodeStatus('ended', 0);
    const [code, why] = serverGoingAway
      ? [CloseCode.GoingAway, 'server shutting down']
      : [CloseCode.Normal, 'room ended'];
    this.fanout.forEach((v) => {
      if (status) v.conn.send(status);
      v.conn.close(code, why);
    });
    if (this.presenter) {
      if (status) this.presenter.send(status);
      this.presenter.close(code, why);
      this.presenter = null;
    }
    this.notify('ended', (o) => o.ended?.(reason));
    this.log.info({ reason }, 'room ended');
    this.onEnded(this);
  }

  info(): RoomInfo {
    const keyframe = this.screenshot.current();
    return {
      id: this.id,
      name: this.options.name,
      private: this.options.private,
      presenter: this.state,
      viewers: this.fanout.count,
      fps: this.fps.rate(Date.now()),
      framesIn: this.framesIn,
      bytesIn: this.bytesIn,
      bytesOut: this.totals.bytesOut,
      tilesIn: this.tilesIn,
      tilesCoalesced: this.fanout.coalesced,
      motionIn: this.motionIn,
      motionSent: this.fanout.motionRelay.counters.sent,
      motionDropped: this.fanout.motionRelay.counters.dropped,
      fanoutYields: this.fanout.yields,
      geometry: keyframe.geometry,
      screenshotBytes: keyframe.bytes,
      createdAt: new Date(this.createdAt).toISOString(),
      recording: this.recordingId,
    };
  }

  /** Per-viewer fan-out state, for operators and tests: what each one still owes and has skipped. */
  viewerStats(): ViewerStats[] {
    return this.fanout.stats();
  }

  /** Observers (the recorder) must never break the live room: their failures are logged, not thrown. */
  private notify(event: string, call: (o: RoomObserver) => void): void {
    for (const o of this.observers) {
      try {
        call(o);
      } catch (err) {
        this.log.error({ err, event }, 'room observer failed; the live room goes on');
      }
    }
  }

  private setState(state: PresenterStateName): void {
    this.state = state;
    this.broadcastStatus();
  }

  private scheduleStatus(): void {
    if (this.statusTimer || this.ended) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      this.broadcastStatus(true);
    }, statusThrottleMs(this.fanout.count));
    this.statusTimer.unref?.();
  }

  /** `countOnly`: only the viewer count changed, which viewers may hear with their next frame (see Fanout.status). */
  private broadcastStatus(countOnly = false): void {
    const status = encodeStatus(this.state, this.fanout.count);
    this.fanout.status(status, countOnly);
    this.presenter?.send(status);
  }
}
