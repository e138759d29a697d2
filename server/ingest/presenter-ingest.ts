// Ingest: turns a presenter's binary message into room state. A message is copied exactly once, into a buffer the
// server owns (the engine's buffer dies with its callback); a frame's tile entries are views into that one copy,
// shared by the ScreenShot, every viewer and the recorder.
import {
  FrameFlag,
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

export function ingestPresenterMessage(room: Room, data: Uint8Array, limits: IngestLimits): void {
  const geometry = room.geometry;
  const msg = decodeMessage(data, {
    geometry,
    maxTileBytes: limits.maxTileBytes,
    maxTilesPerFrame: limits.maxTilesPerFrame,
    // The header is checked here, once, so no decoder downstream (snapshots, recordings, viewers) meets a bomb.
    checkImageSize: true,
  });
  switch (msg.type) {
    case MessageType.Geometry:
      // A resuming presenter re-announces the same geometry: keep the picture viewers already have.
      if (sameGeometry(geometry, msg.geometry)) return;
      admitGeometry(room, msg.geometry, limits);
      room.setGeometry(msg.geometry, own(data));
      return;
    case MessageType.Frame: {
      const { columns } = gridShape(geometry!);
      // The presenter's layout is the viewer's: with its header marked as a sync, the copy is also the one Frame a
      // caught-up viewer is sent whole.
      const frame = own(data);
      const view = new DataView(frame.buffer);
      writeFrameHeader(view, 0, FrameFlag.EndsWithSync, msg.seq, msg.captureTs, msg.tiles.length);
      const tiles: TileEntry[] = new Array(msg.tiles.length);
      for (let i = 0; i < msg.tiles.length; i++) {
        const t = msg.tiles[i];
        const at = t.record.byteOffset - data.byteOffset;
        // The server owns the seq stamped on what viewers get.
        setTileSeq(view, at, msg.seq);
        const message = frame.subarray(at, at + t.record.byteLength);
        tiles[i] = { index: t.row * columns + t.col, col: t.col, row: t.row, message, seq: msg.seq, block: null };
      }
      FrameBlock.link(tiles);
      room.applyFrame(msg.seq, msg.captureTs, tiles, data.byteLength, frame);
      return;
    }
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
