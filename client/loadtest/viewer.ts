// One simulated viewer: reads tile headers and syncs, measures latency at each sync, keeps the seq of every tile it
// holds (to compare with the presenter's record at the end) and notes when it first held a full picture.
import {
  ErrorField,
  FRAME_HEADER_BYTES,
  FrameField,
  FrameFlag,
  type Geometry,
  GeometryField,
  MessageType,
  PRESENTER_STATE_NAMES,
  SYNC_BYTES,
  StatusField,
  TILE_HEADER_BYTES,
  frameCaptureTs,
  frameSeq,
  frameTileCount,
  gridShape,
  syncCaptureTs,
  syncSeq,
  syncSkipped,
  tileCol,
  tileRecordBytes,
  tileRow,
  tileSeq,
} from '../../shared/protocol';
import { nowMs } from './clock';
import { Opcode } from '../../shared/ws-frame-header';
import type { Protocol, RoomTarget } from './protocols';
import { RawWebSocket } from './raw-websocket';
import { type ClassStats, type ViewerClass, type ViewerCounters, zeroCounters } from './viewer-stats';

/** A server with batched fan-out sends a caught-up viewer each frame as one Frame message of tile records. */
const BATCHED: ReadonlySet<number> = new Set([MessageType.Frame]);

export interface ViewerEvents {
  error(kind: string, message: string): void;
}

export class Viewer {
  readonly counters: ViewerCounters = zeroCounters();
  /** tile seq held per grid cell, -1 where nothing arrived yet */
  grid: Int32Array;
  private filled = 0;
  private columns: number;
  lastSyncSeq = -1;
  firstSyncSeq = -1;
  /** ms from the connection attempt to the first sync with every cell held; -1 until then */
  firstFullPictureMs = -1;
  readonly joinedAt = nowMs();
  lastReceiveAt = 0;
  open = false;
  ready = false;
  closed = false;
  closeCode = 0;
  statuses: string[] = [];
  ws: RawWebSocket;

  constructor(
    readonly id: number,
    readonly cls: ViewerClass,
    readonly room: RoomTarget,
    private readonly protocol: Protocol,
    geometry: Geometry,
    private readonly stats: ClassStats,
    private readonly events: ViewerEvents,
    onOpen: (v: Viewer) => void,
  ) {
    this.grid = new Int32Array(gridShape(geometry).tiles).fill(-1);
    this.columns = gridShape(geometry).columns;
    this.ws = new RawWebSocket(
      { url: room.viewerUrl, keepWhole: BATCHED },
      {
        open: () => {
          this.open = true;
          const r = protocol.opened();
          for (const m of r.send) this.ws.send(m);
          if (r.ready) this.becomeReady(onOpen);
        },
        message: (op, head, length) => {
          if (op === Opcode.Text) {
            const r = protocol.text(Buffer.from(head).toString('utf8'));
            for (const m of r.send) this.ws.send(m);
            if (r.ready) this.becomeReady(onOpen);
          } else this.binary(head, length);
        },
        bytes: (n) => this.onBytes?.(n),
        closed: (code, reason, error) => {
          const wasOpen = this.open;
          this.closed = true;
          this.open = false;
          this.closeCode = code;
          if (!this.expectClose)
            events.error(wasOpen ? 'viewer-closed' : 'viewer-connect', error?.message ?? `closed ${code} ${reason}`);
          if (!this.ready) onOpen(this);
        },
      },
    );
  }

  expectClose = false;
  /** every chunk read from the kernel (a bandwidth cap hooks in here) */
  onBytes: ((n: number) => void) | null = null;
  /** tile count and coalesced count when the first sync arrived (delivery ratio excludes the initial picture) */
  tilesAtFirstSync = 0;
  skippedAtFirstSync = 0;

  private becomeReady(onOpen: (v: Viewer) => void): void {
    if (this.ready) return;
    this.ready = true;
    onOpen(this);
  }

  private resetGrid(g: Geometry): void {
    const shape = gridShape(g);
    if (shape.tiles === this.grid.length && shape.columns === this.columns) return;
    this.grid = new Int32Array(shape.tiles).fill(-1);
    this.columns = shape.columns;
    this.filled = 0;
  }

  private binary(head: Uint8Array, length: number): void {
    const c = this.counters;
    c.messages++;
    c.bytes += length;
    this.lastReceiveAt = nowMs();
    if (head.length < 2) return this.events.error('protocol', `viewer ${this.id}: ${length}-byte binary message`);
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    // Header-only reading, with the same rules as shared/protocol/picture-model.ts (which needs whole messages).
    switch (head[1]) {
      case MessageType.Tile:
        if (head.length < TILE_HEADER_BYTES) return this.events.error('protocol', `viewer ${this.id}: truncated tile`);
        return this.tile(view, 0);
      case MessageType.Frame: {
        if (head.length < FRAME_HEADER_BYTES)
          return this.events.error('protocol', `viewer ${this.id}: truncated frame`);
        let at = FRAME_HEADER_BYTES;
        for (let n = frameTileCount(view); n > 0; n--) {
          if (at + TILE_HEADER_BYTES > head.length)
            return this.events.error('protocol', `viewer ${this.id}: truncated frame record`);
          this.tile(view, at);
          at += tileRecordBytes(view, at);
        }
        // a caught-up viewer's frame carries its sync: nothing skipped since the previous one
        if (head[FrameField.flags] & FrameFlag.EndsWithSync) this.sync(frameSeq(view), frameCaptureTs(view), 0);
        return;
      }
      case MessageType.Sync:
        if (head.length < SYNC_BYTES) return this.events.error('protocol', `viewer ${this.id}: truncated sync`);
        return this.sync(syncSeq(view), syncCaptureTs(view), syncSkipped(view));
      case MessageType.Geometry:
        if (head.length >= GeometryField.tileSize + 2)
          this.resetGrid({
            width: view.getUint16(GeometryField.width, true),
            height: view.getUint16(GeometryField.height, true),
            tileSize: view.getUint16(GeometryField.tileSize, true),
          });
        return;
      case MessageType.Status:
        this.statuses.push(PRESENTER_STATE_NAMES[head[StatusField.state]] ?? `state${head[StatusField.state]}`);
        return;
      case MessageType.Error:
        return this.events.error(
          'server-error',
          `viewer ${this.id}: server error ${view.getUint16(ErrorField.code, true)}`,
        );
      default:
        return;
    }
  }

  private sync(seq: number, captureTs: number, skipped: number): void {
    const c = this.counters;
    const now = nowMs();
    // the first sync closes the joiner's initial picture: its captureTs is the picture's age, not a delivery delay
    if (this.lastSyncSeq >= 0) this.stats.record(now - captureTs);
    c.syncs++;
    // acked on receipt, as the browser viewer acks once it painted: the server then keeps at most its ack window in
    // flight, and knows when everything it sent has arrived
    const ack = this.protocol.ack(c.syncs);
    if (ack !== null) this.ws.send(ack);
    // each sync reports the tiles skipped since the previous one: the counter keeps the connection's total
    c.skipped += skipped;
    if (this.lastSyncSeq >= 0) {
      if (seq < this.lastSyncSeq)
        this.events.error('sequence', `viewer ${this.id}: sync ${seq} after ${this.lastSyncSeq}`);
      else if (seq > this.lastSyncSeq + 1) c.syncGaps += seq - this.lastSyncSeq - 1;
    } else {
      this.firstSyncSeq = seq;
      this.tilesAtFirstSync = c.tiles;
      this.skippedAtFirstSync = c.skipped;
    }
    this.lastSyncSeq = seq;
    if (this.firstFullPictureMs < 0 && this.filled === this.grid.length) this.firstFullPictureMs = now - this.joinedAt;
  }

  private tile(view: DataView, at: number): void {
    this.counters.tiles++;
    const index = tileRow(view, at) * this.columns + tileCol(view, at);
    if (index >= this.grid.length) return this.events.error('protocol', `viewer ${this.id}: tile outside the grid`);
    if (this.grid[index] < 0) this.filled++;
    this.grid[index] = tileSeq(view, at);
  }

  /** Cells whose tile differs from the presenter's record of what it last sent (0 = converged). */
  differences(sentSeq: Int32Array): number {
    let diff = 0;
    for (let i = 0; i < sentSeq.length; i++) if (this.grid[i] !== sentSeq[i]) diff++;
    return diff;
  }

  heartbeat(): void {
    if (!this.open) return;
    const beat = this.protocol.heartbeat();
    if (beat === null) this.ws.heartbeat();
    else this.ws.send(beat);
  }

  close(): void {
    this.expectClose = true;
    this.ws.close();
  }
}
