// The backpressure-aware sender: drains a viewer's dirty queue only while its socket is under the high-water
// mark, then announces the consistent picture with a sync. A stalled viewer simply stops being drained;
// the next `drain` event from the engine resumes it.
import { encodeSync } from '../../shared/protocol';
import type { Viewer } from './viewer';

export interface SendTotals {
  bytesOut: number;
}

export function drainViewer(viewer: Viewer, highWater: number, totals: SendTotals): void {
  const conn = viewer.conn;
  if (viewer.closed || !conn.open) return;
  if (conn.bufferedAmount() >= highWater) return;
  conn.cork(() => {
    if (viewer.pendingCursor) {
      conn.send(viewer.pendingCursor);
      viewer.pendingCursor = null;
    }
    const grid = viewer.grid;
    while (grid.pending > 0 && conn.bufferedAmount() < highWater) {
      const entry = grid.take();
      if (!entry) break;
      conn.send(entry.message);
      viewer.tilesSent++;
      viewer.bytesOut += entry.message.byteLength;
      totals.bytesOut += entry.message.byteLength;
    }
    if (grid.pending === 0 && viewer.syncedIngest < viewer.stateIngest) {
      conn.send(encodeSync(viewer.stateSeq, viewer.stateCaptureTs, viewer.grid.coalesced));
      viewer.syncedIngest = viewer.stateIngest;
      viewer.syncs++;
    }
  });
}
