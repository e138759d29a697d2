// The picture a live viewer had at a moment, rebuilt from records: a keyframe, then frames and cursor moves.
// Tiles are kept as views of the record bytes (each one a complete Tile message), never copied.
import {
  CURSOR_BYTES,
  GEOMETRY_BYTES,
  type Geometry,
  MessageType,
  TILE_HEADER_BYTES,
  decodeMessage,
  gridShape,
  sameGeometry,
  tileCol,
  tileRecordBytes,
  tileRow,
} from '../protocol';
import { FRAME_FIXED_BYTES, KEYFRAME_FIXED_BYTES, RecordType, type RecordView } from './format';

export interface CursorState {
  x: number;
  y: number;
  visible: boolean;
}

export interface TileRef {
  col: number;
  row: number;
  /** a complete Tile message (view) */
  message: Uint8Array;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Calls `each` for every Tile message packed in `body` from `from` on. */
export function forEachTile(body: Uint8Array, from: number, each: (tile: TileRef) => void): void {
  const view = viewOf(body);
  let at = from;
  while (at + TILE_HEADER_BYTES <= body.byteLength) {
    const end = at + tileRecordBytes(view, at);
    each({ col: tileCol(view, at), row: tileRow(view, at), message: body.subarray(at, end) });
    at = end;
  }
}

export class Picture {
  geometry: Geometry | null = null;
  /** by tile index (row * columns + col) */
  tiles: (TileRef | null)[] = [];
  cursor: CursorState = { x: 0, y: 0, visible: false };
  seq = 0;
  captureTs = 0;
  /** time of the last record applied */
  timeMs = 0;
  /** tile indexes changed since the last `takeDamage()` (a painter redraws only these) */
  private damaged = new Set<number>();
  /** true when the whole picture changed (keyframe, new geometry) */
  private reset = true;
  /** set by a gap record: the picture is stale until the next keyframe */
  inGap = false;

  /** Applies one record; returns true when it changed what a viewer would see. */
  apply(record: RecordView): boolean {
    this.timeMs = record.timeMs;
    const body = record.body;
    switch (record.type) {
      case RecordType.Keyframe: {
        const geometry = decodeMessage(body.subarray(0, GEOMETRY_BYTES));
        const cursor = decodeMessage(body.subarray(GEOMETRY_BYTES, GEOMETRY_BYTES + CURSOR_BYTES));
        if (geometry.type !== MessageType.Geometry || cursor.type !== MessageType.Cursor) return false;
        const before = sameGeometry(this.geometry, geometry.geometry) ? this.tiles : null;
        this.geometry = geometry.geometry;
        this.cursor = { x: cursor.x, y: cursor.y, visible: cursor.visible };
        const view = viewOf(body);
        this.seq = view.getUint32(GEOMETRY_BYTES + CURSOR_BYTES, true);
        this.captureTs = view.getFloat64(GEOMETRY_BYTES + CURSOR_BYTES + 8, true);
        this.tiles = new Array(gridShape(this.geometry).tiles).fill(null);
        const wasReset = this.reset;
        this.reset = true; // putTiles records no damage while resetting
        this.putTiles(body, KEYFRAME_FIXED_BYTES);
        this.reset = wasReset;
        this.inGap = false;
        if (!before) {
          this.reset = true;
          this.damaged.clear();
        } else {
          // Same geometry: a keyframe in the stream mostly repeats what is on screen; only differing tiles are damage.
          for (let i = 0; i < this.tiles.length; i++)
            if (!sameBytes(before[i]?.message, this.tiles[i]?.message)) this.damaged.add(i);
        }
        return true;
      }
      case RecordType.Frame: {
        if (!this.geometry) return false;
        const view = viewOf(body);
        this.seq = view.getUint32(0, true);
        this.captureTs = view.getFloat64(8, true);
        this.putTiles(body, FRAME_FIXED_BYTES);
        return true;
      }
      case RecordType.Cursor: {
        const m = decodeMessage(body);
        if (m.type !== MessageType.Cursor) return false;
        this.cursor = { x: m.x, y: m.y, visible: m.visible };
        return true;
      }
      case RecordType.Gap:
        this.inGap = true;
        return false;
      default:
        return false;
    }
  }

  private putTiles(body: Uint8Array, from: number): void {
    const columns = this.geometry ? gridShape(this.geometry).columns : 0;
    forEachTile(body, from, (tile) => {
      const index = tile.row * columns + tile.col;
      if (index >= this.tiles.length || tile.col >= columns) return;
      this.tiles[index] = tile;
      if (!this.reset) this.damaged.add(index);
    });
  }

  /** What changed since the last call: everything (`all`) or a set of tile indexes. */
  takeDamage(): { all: boolean; tiles: number[] } {
    const out = { all: this.reset, tiles: this.reset ? [] : [...this.damaged] };
    this.reset = false;
    this.damaged.clear();
    return out;
  }

  filledTiles(): TileRef[] {
    return this.tiles.filter((t): t is TileRef => t !== null);
  }
}
