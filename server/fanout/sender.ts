// The backpressure-aware sender: drains a viewer's dirty queue only while its socket is under the high-water
// mark, then announces the consistent picture with a sync. A stalled viewer simply stops being drained; the
// engine's next `drain` resumes it. Per viewer and frame it allocates nothing: the flush callback is made once
// per viewer, and viewers that skipped nothing since their last sync share one sync message per frame.
import { encodeSync } from '../../shared/protocol';
import { FrameParts } from '../frames/frame-parts';
import type { IngestedFrame } from '../frames/tile-entry';
import { type Connection, MAX_WS_FRAME_HEADER_BYTES } from '../transport/types';
import type { Viewer } from './viewer';

const MOTION_WINDOW_FACTOR = 3;

export interface SendTotals {
  bytesOut: number;
}

export class Sender {
  private sharedSync: Uint8Array | null = null;
  /** set by a flush that stopped at its cork budget with more to send */
  private more = false;
  /** bytes handed to the engine in the current run of sends, and that run's limit (see `fits`) */
  private corked = 0;
  private budget = Number.POSITIVE_INFINITY;
  private sharedSyncIngest = -1;

  constructor(
    private readonly highWater: number,
    private readonly totals: SendTotals,
    /** syncs an acking viewer may have unacknowledged */
    private readonly ackWindow = Number.POSITIVE_INFINITY,
  ) {}

  /**
   * Room for more: under the socket high-water mark and, for a viewer that acks, under the ack window. The window
   * matters where OS socket buffers hold megabytes the engine never reports (loopback, fast LANs to slow clients).
   */
  private ready(viewer: Viewer, window = this.ackWindow): boolean {
    if (viewer.closed || !viewer.conn.open) return false;
    if (this.held(viewer, window)) return false;
    return viewer.conn.bufferedAmount() < this.highWater;
  }

  /** Whether the viewer is held back by its ack window, `window` syncs unacknowledged (until it acks more). */
  held(viewer: Viewer, window = this.ackWindow): boolean {
    return viewer.acking && viewer.syncs - viewer.acked >= window;
  }

  /** The viewer painted `syncs` syncs: opens the window again (the caller drains it). */
  ack(viewer: Viewer, syncs: number): void {
    viewer.acking = true;
    viewer.acked = Math.max(viewer.acked, Math.min(syncs, viewer.syncs));
  }

  /**
   * Fast path for a viewer that owes nothing: the whole frame goes out as shared Frame messages (one on ws, parts
   * of at most the connection's partBytes on uWS), exactly what put-then-drain would send. A caught-up viewer skipped
   * nothing since its last sync (that sync reported and zeroed the count), so its last part carries its sync;
   * only one whose grid was reset with skips still unreported gets the plain parts and its own sync. Parts the
   * socket has no room for stay owed until its next drain. Returns false when the viewer is not caught up (the
   * caller then uses the grid).
   */
  sendFrame(viewer: Viewer, frame: IngestedFrame): boolean {
    if (viewer.grid.pending > 0 || viewer.parts || viewer.syncedIngest !== viewer.stateIngest) return false;
    if (!this.ready(viewer)) return false;
    const parts = this.partsOf(frame, viewer);
    viewer.owe(parts, viewer.grid.coalescedSinceSync === 0, frame);
    // No cork: uWS writes each part from its loop-wide cork buffer by itself, and a JS cork callback per viewer
    // and frame costs more than it saves.
    if (this.goesAlone(viewer, parts)) {
      this.open(Number.POSITIVE_INFINITY);
      if (this.sendParts(viewer, this.settled(viewer)) && viewer.syncedIngest === viewer.stateIngest) return true;
    }
    this.drain(viewer);
    return true;
  }

  /**
   * Whether the frame goes out by itself, uncorked: when nothing else is owed, and when only a viewer count is owed
   * that would not share a cork with this frame anyway (the count then waits for a smaller frame, or for Fanout's
   * STATUS_RIDE_MS timer). On uWS such a frame would follow the count in fragments copied through the socket's own
   * buffer; alone it goes in one settled write. A cursor or a change of state always goes first.
   */
  private goesAlone(viewer: Viewer, parts: FrameParts): boolean {
    if (viewer.pendingCursor) return false;
    const status = viewer.pendingStatus;
    if (!status) return true;
    const both = status.byteLength + parts.bytes(0) + 2 * MAX_WS_FRAME_HEADER_BYTES;
    return viewer.statusCanWait && both > (viewer.conn.corkBytes ?? Number.POSITIVE_INFINITY);
  }

  /**
   * Whether the viewer acknowledged every sync it was sent. A caught-up viewer's last data message was a sync (or
   * carried one), so it then has read everything but small control messages, and nothing of its stream waits in
   * any socket buffer: the engine may write the next message in one piece (Connection.sendSettled).
   */
  private settled(viewer: Viewer): boolean {
    return viewer.acking && viewer.acked === viewer.syncs;
  }

  /** The frame's shared parts for this viewer's engine, built on first use. */
  private partsOf(frame: IngestedFrame, viewer: Viewer): FrameParts {
    const size = viewer.conn.partBytes ?? Number.POSITIVE_INFINITY;
    let parts = frame.parts;
    if (!parts || parts.partBytes !== size) {
      parts = new FrameParts(frame.tiles, frame.seq, frame.captureTs, size, frame.synced);
      frame.parts = parts;
    }
    return parts;
  }

  /**
   * One motion chunk (server/fanout/motion.ts decides who gets which): sent only if the viewer has room now, never
   * queued. It counts as a sync for the ack window, as the viewer acks it once painted, but may use a window
   * MOTION_WINDOW_FACTOR times as wide: a capture paints twice (its stills' sync, its chunk), chunks are small and
   * cheap to decode, and a delta refused here costs the viewer the stream until the next key.
   */
  sendMotion(viewer: Viewer, message: Uint8Array): boolean {
    if (!this.ready(viewer, this.ackWindow * MOTION_WINDOW_FACTOR) || !viewer.conn.send(message)) return false;
    viewer.syncs++;
    viewer.bytesOut += message.byteLength;
    this.totals.bytesOut += message.byteLength;
    return true;
  }

  /** Sends the owed status and cursor alone, if the socket has room; the rest waits for the next drain. */
  sendControl(viewer: Viewer): void {
    if (!this.ready(viewer)) return;
    this.open(Number.POSITIVE_INFINITY);
    this.sendStatusAndCursor(viewer);
  }

  /** Call once per viewer: binds the viewer's flush so draining it never allocates a closure. */
  attach(viewer: Viewer): void {
    viewer.flush = () => this.flush(viewer);
  }

  /**
   * Sends what fits, one cork at a time: on uWS a cork holds at most the connection's corkBytes, because what
   * overflows its cork buffer is copied into the socket's own buffer, which never shrinks again. A viewer that owes
   * nothing costs no cork: every ack drains its viewer, and on uWS a cork is a call into the engine and back.
   */
  drain(viewer: Viewer): void {
    while (viewer.owesAnything && this.ready(viewer)) {
      this.more = false;
      viewer.conn.cork(viewer.flush);
      if (!this.more) return;
    }
  }

  /**
   * One cork's worth of what the viewer is owed, in order: status, cursor, shared parts, dirty tiles, then the
   * sync. Stops at the cork budget (setting `more`) or the high-water mark. A message the engine drops is not
   * counted as sent: it stays owed, and the flush stops until the next drain, so the viewer still converges.
   */
  private flush(viewer: Viewer): void {
    const conn = viewer.conn;
    this.open(conn.corkBytes ?? Number.POSITIVE_INFINITY);
    if (!this.sendStatusAndCursor(viewer)) return;
    if (viewer.parts && !this.sendParts(viewer)) return;
    const grid = viewer.grid;
    while (grid.pending > 0 && conn.bufferedAmount() < this.highWater) {
      const entry = grid.peek();
      if (!entry || !this.fits(entry.message) || !conn.send(entry.message)) return;
      grid.take();
      viewer.tilesSent++;
      viewer.bytesOut += entry.message.byteLength;
      this.totals.bytesOut += entry.message.byteLength;
    }
    if (grid.pending === 0 && viewer.syncedIngest < viewer.stateIngest) {
      const sync = this.syncFor(viewer);
      if (!this.fits(sync) || !conn.send(sync)) return;
      viewer.grid.coalescedSinceSync = 0;
      viewer.syncedIngest = viewer.stateIngest;
      viewer.syncs++;
    }
  }

  /** The owed status, then the owed cursor, within the current run; false when one of them did not go out. */
  private sendStatusAndCursor(viewer: Viewer): boolean {
    const conn = viewer.conn;
    const status = viewer.pendingStatus;
    if (status) {
      if (!this.fits(status) || !conn.send(status)) return false;
      viewer.pendingStatus = null;
    }
    const cursor = viewer.pendingCursor;
    if (cursor) {
      if (!this.fits(cursor) || !conn.send(cursor)) return false;
      viewer.pendingCursor = null;
    }
    return true;
  }

  /** Starts counting a new run of sends (one cork, or uncorked parts) against `budget` bytes. */
  private open(budget: number): void {
    this.budget = budget;
    this.corked = 0;
  }

  /** Whether `message` fits the current run (the first one always does); sets `more` when it does not. */
  private fits(message: Uint8Array): boolean {
    const size = message.byteLength + MAX_WS_FRAME_HEADER_BYTES; // the engine writes the header into the cork too
    if (this.corked > 0 && this.corked + size > this.budget) {
      this.more = true;
      return false;
    }
    this.corked += size;
    return true;
  }

  /**
   * Sends the owed parts while the socket stays under the high-water mark and they fit the current run. True when
   * every part went out (the last one's sync, if it carries it, counted). With `settled` (see `settled`) the first
   * part goes out through the engine's settled send; the next ones follow it, so they are not settled. A settled
   * viewer owed a whole multi-part frame may get it as one message instead (sendWhole).
   */
  private sendParts(viewer: Viewer, settled = false): boolean {
    const parts = viewer.parts!;
    const conn = viewer.conn;
    const first = viewer.nextPart;
    if (settled && first === 0 && parts.count > 1 && viewer.partsSynced) {
      const sent = this.sendWhole(viewer, parts);
      if (sent !== null) return sent;
    }
    while (viewer.nextPart < parts.count) {
      const p = viewer.nextPart;
      const synced = viewer.partsSynced && p === parts.count - 1;
      const message = parts.message(p, synced);
      if (this.corked > 0 && conn.bufferedAmount() >= this.highWater) return false;
      if (!this.fits(message)) return false;
      const sent = settled && p === first && conn.sendSettled ? conn.sendSettled(message) : conn.send(message);
      if (!sent) return false;
      viewer.nextPart++;
      this.countPart(viewer, parts, p, synced);
    }
    viewer.parts = null;
    return true;
  }

  /** Counts part `p` as sent to the viewer: its tiles and bytes, and its sync when it carried one. */
  private countPart(viewer: Viewer, parts: FrameParts, p: number, synced: boolean): void {
    viewer.tilesSent += parts.ends[p] - parts.start(p);
    viewer.bytesOut += parts.tileBytes[p];
    this.totals.bytesOut += parts.tileBytes[p];
    if (synced) {
      viewer.syncedIngest = viewer.stateIngest;
      viewer.syncs++;
    }
  }

  /**
   * A settled viewer owed a whole multi-part frame gets it as the one message the presenter sent, when that is no
   * larger than the high-water mark plus one part: one write, as frame publish makes. If the kernel does not take it
   * all, no more is left buffered than the parts could leave: they go on while the socket is under the mark, so the
   * last one may end up to a part past it. Returns whether it went out, or null when the frame must go as parts.
   */
  private sendWhole(viewer: Viewer, parts: FrameParts): boolean | null {
    const whole = parts.whole;
    const conn = viewer.conn;
    if (!whole || whole.byteLength > this.highWater + parts.partBytes || !conn.sendSettled) return null;
    if (!this.fits(whole) || !conn.sendSettled(whole)) return false;
    // counted as the parts it stands for, the sync with the last
    for (let p = 0; p < parts.count; p++) this.countPart(viewer, parts, p, p === parts.count - 1);
    viewer.parts = null;
    return true;
  }

  /** Messages handed to an engine must stay immutable (ws may still hold them), so shared ones are never rewritten. */
  private syncFor(viewer: Viewer): Uint8Array {
    const skipped = viewer.grid.coalescedSinceSync;
    if (skipped > 0) return encodeSync(viewer.stateSeq, viewer.stateCaptureTs, skipped);
    if (this.sharedSyncIngest !== viewer.stateIngest || !this.sharedSync) {
      this.sharedSync = encodeSync(viewer.stateSeq, viewer.stateCaptureTs, 0);
      this.sharedSyncIngest = viewer.stateIngest;
    }
    return this.sharedSync;
  }
}
