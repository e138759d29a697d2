// Room fan-out: applies each ingested frame to every viewer's grid and drains it. Work is done in steps of at
// most `budget` (viewer x tile) updates; past that it yields to the event loop (setImmediate), so one busy room
// never stalls the others. Frames are applied in order; a viewer that joined after a frame skips it (its
// keyframe already had it).
import type { IngestedFrame } from '../frames/tile-entry';
import { type SendTotals, Sender } from './sender';
import type { Viewer } from './viewer';

export class Fanout {
  private list: Viewer[] = [];
  private frames: IngestedFrame[] = [];
  /** index into `list` of the next viewer for frames[0] */
  private next = 0;
  private removed = 0;
  private pendingStep: NodeJS.Immediate | null = null;
  /** fan-out steps that had to yield: a sign of a room too large for one turn */
  yields = 0;
  private readonly sender: Sender;

  constructor(
    private readonly budget: number,
    highWater: number,
    totals: SendTotals,
    private readonly onError: (err: unknown, viewer: Viewer) => void,
    /** send caught-up viewers each frame as one shared message (clients must accept server Frame messages) */
    private readonly batching = false,
    ackWindow = Infinity,
  ) {
    this.sender = new Sender(highWater, totals, ackWindow);
  }

  get count(): number {
    return this.list.length - this.removed;
  }

  add(viewer: Viewer): void {
    this.sender.attach(viewer);
    this.list.push(viewer);
  }

  /** Marks the viewer gone; the list is compacted between frames so an in-progress step never skips anyone. */
  remove(viewer: Viewer): void {
    if (viewer.closed) return;
    viewer.closed = true;
    this.removed++;
    if (this.frames.length === 0) this.compact();
  }

  forEach(fn: (viewer: Viewer) => void): void {
    for (const v of this.list) if (!v.closed) fn(v);
  }

  /**
   * Queues a frame; the step runs on the next turn, outside the presenter's message callback: uWS corks only one
   * socket at a time, and inside that callback it is the presenter's, so per-viewer corks would do nothing and
   * every tile would be its own syscall.
   */
  publish(frame: IngestedFrame): void {
    this.frames.push(frame);
    this.pendingStep ??= setImmediate(this.step);
  }

  /** Drops frames not yet applied (a geometry change made them meaningless, or the room ended). */
  clear(): void {
    this.frames.length = 0;
    this.next = 0;
    if (this.pendingStep) clearImmediate(this.pendingStep);
    this.pendingStep = null;
    this.compact();
  }

  ack(viewer: Viewer, syncs: number): void {
    this.safely(viewer, () => this.sender.ack(viewer, syncs));
  }

  drain(viewer: Viewer): void {
    this.safely(viewer, () => this.sender.drain(viewer));
  }

  private step = (): void => {
    this.pendingStep = null;
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
          this.pendingStep = setImmediate(this.step);
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
      const grid = viewer.grid;
      for (let t = 0; t < frame.tiles.length; t++) grid.put(frame.tiles[t]);
      viewer.stateIngest = frame.ingestNo;
      viewer.stateSeq = frame.seq;
      viewer.stateCaptureTs = frame.captureTs;
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

  private safely(viewer: Viewer, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.onError(err, viewer);
    }
  }
}
