// The one interpreter of server -> viewer binary messages: what each message means for a viewer's picture.
// Every viewer (browser downlink, test clients, raw test viewers) goes through `applyServerMessage`, so a rule such
// as "a Frame flagged EndsWithSync is also a sync" lives here only. The load generator reads headers only, with
// the readers in ./header, and follows the same rules.
import { FrameFlag, MessageType, type PresenterStateName } from './constants';
import type { Message, MotionView, TileView } from './decode';
import type { Geometry } from './geometry';

export interface PictureSink {
  /** a new screen geometry: the picture so far is gone */
  geometry(g: Geometry): void;
  /** one tile, from a Tile message or a record of a Frame, in arrival order */
  tile(t: TileView): void;
  /**
   * everything received so far is the consistent picture of frame `seq`: paint now. `skipped`: tiles the server
   * replaced before sending them, since this viewer's previous sync (0 for a Frame that carries its sync).
   */
  sync(seq: number, captureTs: number, skipped: number): void;
  /**
   * one chunk of the motion layer, in arrival order among tiles: a decoded frame paints its region at once (it
   * stands for its own sync), and still tiles that arrive later win over it until the next motion frame
   */
  motion?(m: MotionView): void;
  cursor?(x: number, y: number, visible: boolean): void;
  status?(state: PresenterStateName, viewers: number): void;
  error?(code: number, message: string): void;
}

export function applyServerMessage(msg: Message, sink: PictureSink): void {
  switch (msg.type) {
    case MessageType.Geometry:
      return sink.geometry(msg.geometry);
    case MessageType.Tile:
      return sink.tile(msg);
    case MessageType.Frame:
      for (const t of msg.tiles) sink.tile(t);
      // a caught-up viewer's frame carries its own sync: nothing was skipped since the previous one
      if (msg.flags & FrameFlag.EndsWithSync) sink.sync(msg.seq, msg.captureTs, 0);
      return;
    case MessageType.Sync:
      return sink.sync(msg.seq, msg.captureTs, msg.skipped);
    case MessageType.Motion:
      return sink.motion?.(msg);
    case MessageType.Cursor:
      return sink.cursor?.(msg.x, msg.y, msg.visible);
    case MessageType.Status:
      return sink.status?.(msg.state, msg.viewers);
    case MessageType.Error:
      return sink.error?.(msg.code, msg.message);
  }
}

/**
 * A picture kept as tile payloads keyed "col,row" (tests and tools; the browser paints into a canvas instead):
 * the picture as received, the one as of the last sync, the syncs seen and the running total of skipped tiles.
 */
export class PictureModel<P extends Uint8Array = Uint8Array> implements PictureSink {
  readonly picture = new Map<string, P>();
  /** the picture as of the last sync */
  synced = new Map<string, P>();
  /** seq of every sync, in order */
  readonly syncs: number[] = [];
  tiles = 0;
  /** motion chunks received, and how many of them were keys */
  motions = 0;
  motionKeys = 0;
  /** tiles the server skipped for this viewer over the connection (the sum of every sync's `skipped`) */
  skipped = 0;

  constructor(
    /** copies a payload out of the message (which may be reused) */
    private readonly keep: (payload: Uint8Array) => P = (p) => p.slice() as P,
    /** called at every sync, after the model is updated (ordering checks, counters) */
    private readonly onSync?: (seq: number, captureTs: number, skipped: number) => void,
  ) {}

  apply(msg: Message): void {
    applyServerMessage(msg, this);
  }

  geometry(): void {
    this.picture.clear();
  }

  tile(t: TileView): void {
    this.tiles++;
    this.picture.set(`${t.col},${t.row}`, this.keep(t.payload));
  }

  motion(m: MotionView): void {
    this.motions++;
    if (m.key) this.motionKeys++;
  }

  sync(seq: number, captureTs: number, skipped: number): void {
    this.skipped += skipped;
    this.syncs.push(seq);
    this.synced = new Map(this.picture);
    this.onSync?.(seq, captureTs, skipped);
  }
}
