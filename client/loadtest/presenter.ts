// A simulated presenter: sends Geometry, a keyframe, then frames of pre-encoded tiles on a fixed clock. Keeps the
// record of the last version sent per tile (what every viewer must converge to) and can drop and resume.
import { type Geometry, gridShape } from '../../shared/protocol';
import { nowMs } from './clock';
import type { Content, ContentTile } from './content';
import type { FrameSource } from './frame-source';
import type { Outgoing, Protocol, RoomTarget } from './protocols';
import { RawWebSocket } from './raw-websocket';

/** Above this much unsent data the presenter skips frames instead of queueing without bound. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface PresenterCounters {
  frames: number;
  tiles: number;
  bytes: number;
  /** frames not sent because the server was not reading (or the presenter was dropped) */
  skippedFrames: number;
  /** ticks that fired more than one interval late (generator overloaded) */
  lateTicks: number;
}

export class Presenter {
  readonly counters: PresenterCounters = { frames: 0, tiles: 0, bytes: 0, skippedFrames: 0, lateTicks: 0 };
  /** seq of the last version sent per tile */
  readonly sentSeq: Int32Array;
  /** current screen content per tile (for keyframes after a resume) */
  private readonly current: ContentTile[];
  /** cumulative tiles sent, by frame seq (for per-viewer delivery ratios) */
  readonly tilesThroughSeq: number[] = [0];
  seq = 0;
  private ws: RawWebSocket | null = null;
  private ready = false;
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  drops = 0;
  resumes = 0;

  constructor(
    readonly room: RoomTarget,
    private readonly protocol: Protocol,
    private readonly content: Content,
    private readonly source: FrameSource,
    private readonly fps: number,
    private readonly onError: (kind: string, message: string) => void,
  ) {
    this.sentSeq = new Int32Array(gridShape(content.geometry).tiles).fill(-1);
    this.current = content.steps[0].slice();
  }

  get geometry(): Geometry {
    return this.content.geometry;
  }

  /** Connects, sends Geometry and a full keyframe; resolves when sent (rejects if the connection fails). */
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const ready = () => {
        if (this.ready) return;
        this.ready = true;
        this.sendAll(this.protocol.geometry(this.geometry));
        this.sendFrame(this.current);
        settled = true;
        resolve();
      };
      const ws = new RawWebSocket(
        { url: this.room.presenterUrl },
        {
          open: () => {
            const r = this.protocol.opened();
            this.sendAll(r.send);
            if (r.ready) ready();
          },
          message: (op, head) => {
            if (op !== 1) return;
            const r = this.protocol.text(Buffer.from(head).toString('utf8'));
            this.sendAll(r.send);
            if (r.ready) ready();
          },
          closed: (code, reason, error) => {
            this.ready = false;
            if (this.ws !== ws) return;
            const message = error?.message ?? `presenter closed ${code} ${reason}`;
            if (!settled) {
              settled = true;
              reject(new Error(message));
            } else if (this.running) this.onError('presenter-closed', message);
          },
        },
      );
      this.ws = ws;
    });
  }

  private sendAll(messages: Outgoing[]): void {
    for (const m of messages) {
      this.ws?.send(m);
      this.counters.bytes += typeof m === 'string' ? m.length : m.byteLength;
    }
  }

  private sendFrame(tiles: readonly ContentTile[]): void {
    const seq = ++this.seq;
    this.sendAll(this.protocol.frame(seq, nowMs(), this.content.codec, tiles));
    for (const t of tiles) this.sentSeq[t.index] = seq;
    this.counters.frames++;
    this.counters.tiles += tiles.length;
    this.tilesThroughSeq[seq] = this.counters.tiles;
  }

  /** Starts the frame clock, drift-corrected; a tick more than one interval late is counted, not made up. */
  start(): void {
    this.running = true;
    const interval = 1000 / this.fps;
    let due = performance.now() + Math.random() * interval;
    const tick = () => {
      if (!this.running) return;
      const now = performance.now();
      if (now - due > interval) {
        this.counters.lateTicks++;
        due = now;
      }
      this.tick();
      due += interval;
      this.timer = setTimeout(tick, Math.max(0, due - performance.now()));
    };
    this.timer = setTimeout(tick, Math.max(0, due - performance.now()));
  }

  private tick(): void {
    const tiles = this.source.next();
    for (const t of tiles) this.current[t.index] = t;
    if (tiles.length === 0) return;
    if (!this.ready || !this.ws || this.ws.bufferedAmount > MAX_BUFFERED_BYTES) {
      this.counters.skippedFrames++;
      return;
    }
    this.sendFrame(tiles);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Loses the connection abruptly, then reconnects with the same credentials and resends the whole screen. */
  dropFor(ms: number): void {
    this.drops++;
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    ws?.destroy();
    setTimeout(() => {
      if (!this.running) return;
      this.connect().then(
        () => void this.resumes++,
        (err: Error) => this.onError('presenter-resume', err.message),
      );
    }, ms);
  }

  /** Bytes the presenter has queued but the server has not taken yet. */
  get buffered(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  close(): void {
    this.stop();
    const ws = this.ws;
    this.ws = null;
    ws?.close();
  }
}
