// Ingest: turns a presenter's binary message into room state. A message is copied exactly once, into a buffer the
// server owns (the engine's buffer dies with its callback); a frame's tile entries are views into that one copy,
// shared by the ScreenShot, every viewer and the recorder.
import {
  type DecodeLimits,
  FrameFlag,
  FrameScan,
  type Geometry,
  MessageType,
  ProtocolError,
  ProtocolErrorCode,
  decodeMessage,
  gridShape,
  sameGeometry,
  setTileSeq,
  writeFrameHeader,
} from '../../shared/protocol';
import { FrameBlock } from '../frames/frame-block';
import type { Room } from '../room/room';
import type { TileEntry } from '../frames/tile-entry';
import { type GeometryLimits, admitGeometry } from './geometry-guard';

export interface IngestLimits extends GeometryLimits {
  maxTileBytes: number;
  maxTilesPerFrame: number;
}

function own(view: Uint8Array): Uint8Array {
  const copy = new Uint8Array(view.byteLength);
  copy.set(view);
  return copy;
}

/** What a presenter's message is checked against: the room's grid and the configured sizes. */
function decodeLimits(geometry: Geometry | null, limits: IngestLimits): DecodeLimits {
  return {
    geometry,
    maxTileBytes: limits.maxTileBytes,
    maxTilesPerFrame: limits.maxTilesPerFrame,
    // The header is checked here, once, so no decoder downstream (snapshots, recordings, viewers) meets a bomb.
    checkImageSize: true,
  };
}

/** Reused by every frame (ingest runs to completion before the next message): no garbage per tile. */
const scan = new FrameScan();

export function ingestPresenterMessage(room: Room, data: Uint8Array, limits: IngestLimits): void {
  const geometry = room.geometry;
  if (data.byteLength >= 2 && data[1] === MessageType.Frame) return ingestFrame(room, data, limits);
  const msg = decodeMessage(data, decodeLimits(geometry, limits));
  switch (msg.type) {
    case MessageType.Geometry:
      // A resuming presenter re-announces the same geometry: keep the picture viewers already have.
      if (sameGeometry(geometry, msg.geometry)) return;
      admitGeometry(room, msg.geometry, limits);
      room.setGeometry(msg.geometry, own(data));
      return;
    case MessageType.Motion: {
      const { key, codec, col, row, columns, rows } = msg;
      room.motion({ key, codec, region: { col, row, columns, rows }, message: own(data) }, data.byteLength);
      return;
    }
    case MessageType.Cursor:
      room.cursor(own(data), msg.x, msg.y, msg.visible);
      return;
    default:
      throw new ProtocolError(
        ProtocolErrorCode.UnexpectedType,
        `a presenter may not send message type 0x${msg.type.toString(16)}`,
      );
  }
}

/**
 * A Frame: checked in place, copied once, its header marked as a sync (the presenter's layout is the viewer's, so
 * the copy is also the one Frame a caught-up viewer is sent whole), and each tile an entry viewing that copy.
 */
function ingestFrame(room: Room, data: Uint8Array, limits: IngestLimits): void {
  const geometry = room.geometry;
  scan.read(data, decodeLimits(geometry, limits));
  const { columns } = gridShape(geometry!);
  const { seq, captureTs, count } = scan;
  const frame = own(data);
  const view = new DataView(frame.buffer);
  writeFrameHeader(view, 0, FrameFlag.EndsWithSync, seq, captureTs, count);
  // Pushed, not preallocated: a packed array, as the join cache's are, so the code that reads both sees one kind.
  const tiles: TileEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = scan.offsets[i];
    const col = scan.cols[i];
    const row = scan.rows[i];
    // The server owns the seq stamped on what viewers get.
    setTileSeq(view, at, seq);
    const message = frame.subarray(at, at + scan.lengths[i]);
    tiles.push({ index: row * columns + col, col, row, message, seq, block: null });
  }
  FrameBlock.link(tiles);
  room.applyFrame(seq, captureTs, tiles, data.byteLength, frame);
}
