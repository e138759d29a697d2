// The backpressure-aware sender: drains a viewer's dirty queue only while its socket is under the high-water
// mark, then announces the consistent picture with a sync. A stalled viewer simply stops being drained; the
// engine's next `drain` resumes it. Per viewer and frame it allocates nothing: the flush callback is made once
// per viewer, and viewers that skipped nothing share one sync message per frame.
import { encodeSync } from '../../shared/protocol';
import type { Viewer } from './viewer';

export interface SendTotals {
  bytesOut: number;
}

export class Sender {
  private sharedSync: Uint8Array | null = null;
  private sharedSyncIngest = -1;

  constructor(
    private readonly highWater: number,
    private readonly totals: SendTotals,
  ) {}

  /** Call once per viewer: binds the viewer's flush so draining it never allocates a closure. */
  attach(viewer: Viewer): void {
    viewer.flush = () => this.flush(viewer);
  }

  drain(viewer: Viewer): void {
    if (viewer.closed || !viewer.conn.open) return;
    if (viewer.conn.bufferedAmount() >= this.highWater) return;
    viewer.conn.cork(viewer.flush);
  }

  private flush(viewer: Viewer): void {
    const conn = viewer.conn;
    if (viewer.pendingStatus) {
      conn.send(viewer.pendingStatus);
      viewer.pendingStatus = null;
    }
    if (viewer.pendingCursor) {
      conn.send(viewer.pendingCursor);
      viewer.pendingCursor = null;
    }
    const grid = viewer.grid;
    while (grid.pending > 0 && conn.bufferedAmount() < this.highWater) {
      const entry = grid.take();
      if (!entry) break;
      conn.send(entry.message);
      viewer.tilesSent++;
      viewer.bytesOut += entry.message.byteLength;
      this.totals.bytesOut += entry.message.byteLength;
    }
    if (grid.pending === 0 && viewer.syncedIngest < viewer.stateIngest) {
      conn.send(this.syncFor(viewer));
      viewer.syncedIngest = viewer.stateIngest;
      viewer.syncs++;
    }
  }

  /** Messages handed to an engine must stay immutable (ws may still hold them), so shared ones are never rewritten. */
  private syncFor(viewer: Viewer): Uint8Array {
    if (viewer.grid.coalesced > 0) return encodeSync(viewer.stateSeq, viewer.stateCaptureTs, viewer.grid.coalesced);
    if (this.sharedSyncIngest !== viewer.stateIngest || !this.sharedSync) {
      this.sharedSync = encodeSync(viewer.stateSeq, viewer.stateCaptureTs, 0);
      this.sharedSyncIngest = viewer.stateIngest;
    }
    return this.sharedSync;
  }
}
