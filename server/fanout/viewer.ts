// Per-viewer fan-out state: the tile grid, what picture it has been promised, and counters.
import type { IngestedFrame } from '../frames/tile-entry';
import type { Connection } from '../transport/types';
import { TileGrid } from './tile-grid';

export class Viewer {
  readonly grid = new TileGrid();
  /** frames with ingestNo <= this are already in the grid (the keyframe it joined with) */
  joinedAtIngest = 0;
  /** newest frame applied to the grid, and the one the last sync announced */
  stateIngest = 0;
  stateSeq = 0;
  stateCaptureTs = 0;
  syncedIngest = 0;
  /** latest status and cursor messages not yet sent: latest wins, so a stalled viewer never piles them up */
  pendingStatus: Uint8Array | null = null;
  pendingCursor: Uint8Array | null = null;
  /** a whole frame for a caught-up viewer and its message, sent by the next flush (see Sender.sendFrame) */
  pendingFrame: IngestedFrame | null = null;
  pendingBatch: Uint8Array | null = null;
  tilesSent = 0;
  bytesOut = 0;
  syncs = 0;
  /** syncs the viewer said it painted; only counts once it has acked at least once */
  acked = 0;
  acking = false;
  closed = false;
  /** bound once by the Sender, so a drain never allocates */
  flush: () => void = () => {};

  constructor(
    readonly id: number,
    readonly conn: Connection,
  ) {}
}
