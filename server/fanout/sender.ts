// The backpressure-aware sender: drains a viewer's dirty queue only while its socket is under the high-water
// mark, then announces the consistent picture with a sync. A stalled viewer simply stops being drained; the
// engine's next `drain` resumes it. Per viewer and frame it allocates nothing: the flush callback is made once
// per viewer, and viewers that skipped nothing since their last sync share one sync message per frame.
import { FRAME_HEADER_BYTES, FrameField, FrameFlag, encodeSync, writeFrameHeader } from '../../shared/protocol';
import type { IngestedFrame } from '../frames/tile-entry';
import type { Viewer } from './viewer';

const MOTION_WINDOW_FACTOR = 3;

export interface SendTotals {
  bytesOut: number;
}

export class Sender {
  private sharedSync: Uint8Array | null = null;
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
    if (viewer.acking && viewer.syncs - viewer.acked >= window) return false;
    return viewer.conn.bufferedAmount() < this.highWater;
  }

  /** The viewer painted `syncs` syncs: opens the window again. */
  ack(viewer: Viewer, syncs: number): void {
    viewer.acking = true;
    viewer.acked = Math.max(viewer.acked, Math.min(syncs, viewer.syncs));
    this.drain(viewer);
  }

  /**
   * Fast path for a viewer that owes nothing: the whole frame goes out as one shared Frame message, which is
   * exactly what put-then-drain would send. A caught-up viewer skipped nothing since its last sync (that sync
   * reported and zeroed the count), so it gets the variant that carries its sync (one send, no cork); only one
   * whose grid was reset with skips still unreported gets the plain frame and its own sync. Returns false when
   * the viewer is not caught up (the caller then uses the grid).
   */
  sendFrame(viewer: Viewer, frame: IngestedFrame): boolean {
    const conn = viewer.conn;
    if (viewer.grid.pending > 0 || viewer.syncedIngest !== viewer.stateIngest) return false;
    if (!this.ready(viewer)) return false;
    const implicitSync = viewer.grid.coalescedSinceSync === 0;
    const batch = implicitSync
      ? (frame.syncedBatch ??= buildBatch(frame, FrameFlag.EndsWithSync))
      : (frame.batch ??= buildBatch(frame, 0));
    if (implicitSync && !viewer.pendingStatus && !viewer.pendingCursor) {
      // The engine dropped it: nothing changed for this viewer, the caller applies the frame through the grid.
      if (!conn.send(batch)) return false;
      viewer.advance(frame);
      viewer.syncedIngest = frame.ingestNo;
      viewer.syncs++;
      this.countFrame(viewer, batch, frame);
      return true;
    }
    viewer.pendingFrame = frame;
    viewer.pendingBatch = batch;
    conn.cork(viewer.flush);
    return true;
  }

  private countFrame(viewer: Viewer, batch: Uint8Array, frame: IngestedFrame): void {
    const tileBytes = batch.byteLength - FRAME_HEADER_BYTES;
    viewer.tilesSent += frame.tiles.length;
    viewer.bytesOut += tileBytes;
    this.totals.bytesOut += tileBytes;
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

  /** Call once per viewer: binds the viewer's flush so draining it never allocates a closure. */
  attach(viewer: Viewer): void {
    viewer.flush = () => this.flush(viewer);
  }

  drain(viewer: Viewer): void {
    if (this.ready(viewer)) viewer.conn.cork(viewer.flush);
  }

  /**
   * Sends what the viewer is owed, in order: status, cursor, a pending whole frame, dirty tiles, then the sync.
   * A message the engine drops is not counted as sent: it stays owed (the frame's tiles go to the grid), and the
   * flush stops until the next drain, so the viewer still converges.
   */
  private flush(viewer: Viewer): void {
    const conn = viewer.conn;
    if (viewer.pendingStatus) {
      if (!conn.send(viewer.pendingStatus)) return;
      viewer.pendingStatus = null;
    }
    if (viewer.pendingCursor) {
      if (!conn.send(viewer.pendingCursor)) return;
      viewer.pendingCursor = null;
    }
    const frame = viewer.pendingFrame;
    if (frame) {
      const batch = viewer.pendingBatch!;
      viewer.pendingFrame = null;
      viewer.pendingBatch = null;
      if (conn.send(batch)) {
        viewer.advance(frame);
        if (batch[FrameField.flags] & FrameFlag.EndsWithSync) {
          viewer.syncedIngest = frame.ingestNo;
          viewer.syncs++;
        }
        this.countFrame(viewer, batch, frame);
      } else {
        viewer.queue(frame);
        return;
      }
    }
    const grid = viewer.grid;
    while (grid.pending > 0 && conn.bufferedAmount() < this.highWater) {
      const entry = grid.take();
      if (!entry) break;
      if (!conn.send(entry.message)) {
        grid.put(entry);
        return;
      }
      viewer.tilesSent++;
      viewer.bytesOut += entry.message.byteLength;
      this.totals.bytesOut += entry.message.byteLength;
    }
    if (grid.pending === 0 && viewer.syncedIngest < viewer.stateIngest) {
      if (!conn.send(this.syncFor(viewer))) return;
      viewer.grid.coalescedSinceSync = 0;
      viewer.syncedIngest = viewer.stateIngest;
      viewer.syncs++;
    }
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

/** One copy per frame (not per viewer): header + every tile message, each already stamped with the frame's seq. */
function buildBatch(frame: IngestedFrame, flags: number): Uint8Array {
  let bytes = FRAME_HEADER_BYTES;
  for (const t of frame.tiles) bytes += t.message.byteLength;
  const batch = new Uint8Array(bytes);
  writeFrameHeader(new DataView(batch.buffer), 0, flags, frame.seq, frame.captureTs, frame.tiles.length);
  let offset = FRAME_HEADER_BYTES;
  for (const t of frame.tiles) {
    batch.set(t.message, offset);
    offset += t.message.byteLength;
  }
  return batch;
}
