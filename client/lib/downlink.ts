// A viewer's connection: decodes server messages, feeds the Display, and reports state and stats.
import { CloseCode } from '../../shared/protocol/close-codes';
import { PROTOCOL_VERSION, type PresenterStateName } from '../../shared/protocol/constants';
import { decodeMessage } from '../../shared/protocol/decode';
import type { Geometry } from '../../shared/protocol/geometry';
import { type PictureSink, applyServerMessage } from '../../shared/protocol/picture-model';
import type { Commit, Display } from './display';
import { takeEarlySocket } from './early-socket';
import { parseViewerControl } from './pong';
import { RateMeter } from './rate-meter';
import { ServerClock } from './server-clock';
import { ReconnectingSocket } from './socket';
import { wsUrl } from './urls';
import { END_TEXT, FINAL_CLOSE_CODES, endKind, finalCloseText, retryText } from './viewer-messages';

/**
 * What the viewer page shows; presenter states come from the server, the others from our own socket.
 * 'loading': the presenter is live but this viewer has not painted its first full picture yet.
 */
export type ViewerState = 'connecting' | PresenterStateName | 'loading' | 'offline' | 'error';

export interface DownlinkEvents {
  state(state: ViewerState, detail: string): void;
  cursor?(x: number, y: number, visible: boolean): void;
  geometry?(g: Geometry): void;
  /** the first picture is on the canvas (once per page) */
  firstPicture?(): void;
  viewers?(n: number): void;
}

export interface DownlinkStats {
  fps: number;
  kbps: number;
  latencyMs: number | null;
  /** tiles the server skipped for this viewer, summed over its syncs (each sync reports its own count) */
  skipped: number;
  /** pictures painted: syncs and motion frames, counted once per capture when both paint the same one */
  frames: number;
  tiles: number;
  bytes: number;
  backlog: number;
  decodeErrors: number;
  /** performance.now() of the first picture shown (page-load relative), for late-join timing */
  firstFrameAt: number | null;
  /** times this viewer skipped a backlog by rejoining at the live picture */
  resyncs: number;
  /** motion chunks received, and frames of them painted (also counted in `frames`); chunks that failed to decode */
  motionChunks: number;
  motionFrames: number;
  motionErrors: number;
}

/** A viewer this far behind the presenter drops its backlog and rejoins at the live picture (see below). */
const DEFAULT_MAX_LAG_MS = 4000;

/** Latency older than this (the fps window) is not shown: no frames means no current latency. */
const LATENCY_STALE_MS = 2000;

export class Downlink {
  private readonly socket: ReconnectingSocket;
  private readonly clock = new ServerClock();
  private readonly fps = new RateMeter();
  private readonly bytes = new RateMeter();
  private readonly latency: number[] = [];
  private geometry: Geometry | null = null;
  private state: ViewerState = 'connecting';
  private lastError = '';
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  /** the first few pings of a connection, cleared with it: none may fire after the socket closed */
  private settlePings: ReturnType<typeof setTimeout>[] = [];
  private counters = { frames: 0, tiles: 0, skipped: 0, decodeErrors: 0, motionFrames: 0, motionChunks: 0 };
  private firstFrameAt: number | null = null;
  private lastCommitAt = Number.NEGATIVE_INFINITY;
  private lastShownTs = Number.NEGATIVE_INFINITY;
  private lateCommits = 0;
  private lastResyncAt = Number.NEGATIVE_INFINITY;
  private resyncs = 0;
  /** the server said it is going away (1001): until it speaks again, failed attempts are the restart, not us */
  private serverRestarting = false;
  /** connection number, and per queued sync the connection it came on: commits are acked to that one only */
  private connection = 0;
  private readonly syncOrigins: number[] = [];
  private painted = 0;
  /** every state this viewer went through, in order (tests, debugging) */
  readonly history: ViewerState[] = [];

  constructor(
    room: string,
    private readonly token: string | null,
    private readonly display: Display,
    private readonly on: DownlinkEvents,
    private readonly maxLagMs = DEFAULT_MAX_LAG_MS,
  ) {
    display.onMotion = (c, painted) => {
      this.acknowledge();
      if (painted) {
        this.counters.motionFrames++;
        this.shown(c);
      }
    };
    display.onCommit = (c) => {
      this.acknowledge();
      this.shown(c);
    };
    display.onDecodeError = () => this.counters.decodeErrors++;
    const query = token ? `?token=${encodeURIComponent(token)}` : '';
    this.socket = new ReconnectingSocket(
      {
        url: () => wsUrl(`/ws/view/${encodeURIComponent(room)}${query}`),
        isFinal: (code) => FINAL_CLOSE_CODES.includes(code),
        adopt: takeEarlySocket,
      },
      {
        open: () => this.opened(),
        message: (data) => this.message(data),
        close: (code, reason, retryInMs) => this.closed(code, reason, retryInMs),
      },
    );
  }

  /** Tells the server how far we have painted, so it holds frames back (and skips) instead of queueing them. */
  private acknowledge(): void {
    if (this.syncOrigins.shift() === this.connection)
      this.socket.send(JSON.stringify({ type: 'ack', syncs: ++this.painted }));
  }

  /** A new picture is on the canvas (a sync, or a motion frame). */
  private shown(c: Commit): void {
    // Count pictures, not paints: the still tiles and the motion chunk of one capture paint one picture, and a sync
    // held back by the ack window may paint after a newer motion frame.
    if (c.captureTs > this.lastShownTs) {
      this.counters.frames++;
      this.fps.add();
      this.lastShownTs = c.captureTs;
    }
    if (this.firstFrameAt === null) {
      this.firstFrameAt = performance.now();
      this.on.firstPicture?.();
    }
    this.lastCommitAt = performance.now();
    const lag = this.clock.now() - c.captureTs;
    this.latency.push(lag);
    if (this.latency.length > 30) this.latency.shift();
    this.watchLag(lag);
    if (this.state === 'loading') this.setState('live', STATE_TEXT.live);
  }

  start(): void {
    this.setState('connecting', 'Connecting…');
    this.socket.connect();
  }

  stop(): void {
    this.socket.stop();
  }

  /** Drops the connection as a network failure would (tests): it reconnects with backoff. */
  drop(): void {
    this.socket.drop();
  }

  /**
   * On a slow link the operating system's socket buffers (megabytes on a fast LAN or loopback) can hold seconds of
   * stale frames that the server no longer sees as backpressure. Past `maxLagMs` behind, reconnecting is cheaper
   * than draining them: the server answers a new viewer with the current picture only.
   */
  private watchLag(lag: number): void {
    this.lateCommits = lag > this.maxLagMs ? this.lateCommits + 1 : 0;
    if (this.lateCommits < 2 || this.state !== 'live' || performance.now() - this.lastResyncAt < 10_000) return;
    this.lateCommits = 0;
    this.lastResyncAt = performance.now();
    this.resyncs++;
    this.socket.reconnectNow();
  }

  stats(): DownlinkStats {
    const sorted = [...this.latency].sort((a, b) => a - b);
    return {
      fps: this.fps.rate(),
      kbps: (this.bytes.rate() * 8) / 1000,
      latencyMs:
        sorted.length && performance.now() - this.lastCommitAt < LATENCY_STALE_MS ? sorted[sorted.length >> 1] : null,
      skipped: this.counters.skipped,
      frames: this.counters.frames,
      tiles: this.counters.tiles,
      bytes: this.bytes.total,
      backlog: this.display.backlog,
      decodeErrors: this.counters.decodeErrors,
      firstFrameAt: this.firstFrameAt,
      resyncs: this.resyncs,
      motionChunks: this.counters.motionChunks,
      motionFrames: this.counters.motionFrames,
      motionErrors: this.display.motionErrors,
    };
  }

  get currentState(): ViewerState {
    return this.state;
  }

  private setState(state: ViewerState, detail: string): void {
    if (state !== this.state || this.history.length === 0) this.history.push(state);
    this.state = state;
    this.on.state(state, detail);
  }

  private opened(): void {
    this.connection++;
    this.painted = 0;
    this.lastShownTs = Number.NEGATIVE_INFINITY;
    this.socket.send(JSON.stringify({ type: 'ack', syncs: 0 }));
    this.socket.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, client: 'tilecast-viewer' }));
    // A few quick pings settle the clock estimate; then one every few seconds keeps it fresh.
    this.stopPings();
    for (const delay of [0, 300, 900])
      this.settlePings.push(setTimeout(() => this.socket.send(this.clock.ping()), delay));
    this.pingTimer = setInterval(() => this.socket.send(this.clock.ping()), 5000);
  }

  private message(data: ArrayBuffer | string): void {
    this.serverRestarting = false;
    if (typeof data === 'string') {
      try {
        const msg = parseViewerControl(data);
        if (msg.type === 'pong') this.clock.pong(msg.t, msg.serverTime);
      } catch {
        console.warn('tilecast: ignoring an unknown control message');
      }
      return;
    }
    this.bytes.add(data.byteLength);
    let msg: ReturnType<typeof decodeMessage>;
    try {
      msg = decodeMessage(new Uint8Array(data), { geometry: this.geometry });
    } catch (err) {
      console.warn('tilecast: ignoring a malformed message:', (err as Error).message);
      return;
    }
    applyServerMessage(msg, this.sink);
  }

  /** What each server message means for this viewer: the shared interpreter calls these. */
  private readonly sink: PictureSink = {
    geometry: (g) => {
      this.geometry = g;
      this.display.setGeometry(g);
      this.on.geometry?.(g);
    },
    tile: (t) => {
      this.counters.tiles++;
      this.display.tile(t.col, t.row, t.codec, t.payload);
    },
    sync: (seq, captureTs, skipped) => this.sync(seq, captureTs, skipped),
    motion: (m) => {
      // The server counts each motion message toward the ack window, as a sync: acked once handled, shown or not.
      this.syncOrigins.push(this.connection);
      this.counters.motionChunks++;
      this.display.motion(m);
    },
    cursor: (x, y, visible) => this.on.cursor?.(x, y, visible),
    status: (state, viewers) => {
      this.on.viewers?.(viewers);
      this.presenterState(state);
    },
    error: (_code, message) => {
      this.lastError = message;
    },
  };

  private presenterState(state: PresenterStateName): void {
    if (state === 'ended') {
      if (this.state !== 'ended') this.setState('ended', END_TEXT[endKind(this.state)]);
    } else if (state === 'live' && this.firstFrameAt === null) {
      // "Live" only once there is a picture to look at: a late joiner first receives the whole ScreenShot.
      this.setState('loading', 'The presenter is live: the picture is on its way.');
    } else this.setState(state, STATE_TEXT[state]);
  }

  private sync(seq: number, captureTs: number, skipped: number): void {
    this.syncOrigins.push(this.connection);
    this.counters.skipped += skipped;
    this.display.sync(seq, captureTs);
  }

  private stopPings(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    for (const t of this.settlePings) clearTimeout(t);
    this.settlePings = [];
  }

  private closed(code: number, reason: string, retryInMs: number | null): void {
    this.stopPings();
    const why = this.lastError || reason;
    this.lastError = '';
    // A server going away (1001) is restarting, not ending the room: keep retrying even after an 'ended' status.
    if (code === CloseCode.GoingAway) this.serverRestarting = true;
    if (this.serverRestarting && retryInMs !== null)
      this.setState('offline', retryText(CloseCode.GoingAway, retryInMs));
    else if (this.state === 'ended') return;
    else if (code === CloseCode.Normal) this.setState('ended', END_TEXT[endKind(this.state)]);
    else if (retryInMs === null) this.setState('error', finalCloseText(code, why, this.token !== null));
    else this.setState('offline', retryText(code, retryInMs));
  }
}

const STATE_TEXT: Record<Exclude<PresenterStateName, 'ended'>, string> = {
  waiting: 'Waiting for the presenter to start sharing…',
  live: 'Live',
  reconnecting: 'The presenter lost their connection. Waiting for them to come back…',
};
