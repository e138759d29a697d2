// Ingest: turns a presenter's binary message into room state. Each tile record is copied exactly once, into a
// buffer the server owns (the engine's buffer dies with its callback); that one buffer is then shared by the
// ScreenShot, every viewer and the recorder.
import {
  MessageType,
  ProtocolError,
  ProtocolErrorCode,
  decodeMessage,
  gridShape,
  sameGeometry,
  setTileSeq,
} from '../../shared/protocol';
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
      const tiles: TileEntry[] = new Array(msg.tiles.length);
      for (let i = 0; i < msg.tiles.length; i++) {
        const t = msg.tiles[i];
        const message = own(t.record);
        // The server owns the seq stamped on what viewers get.
        setTileSeq(new DataView(message.buffer), 0, msg.seq);
        tiles[i] = { index: t.row * columns + t.col, col: t.col, row: t.row, message, seq: msg.seq };
      }
      room.applyFrame(msg.seq, msg.captureTs, tiles, data.byteLength);
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
