// Cheap change detection: compares two RGBA frames as 32-bit words, tile by tile, stopping at the first difference.
import { type Geometry, gridShape, tileRect } from '../../shared/protocol/geometry';

/** Indices (row * columns + col) of tiles whose pixels differ; every tile when `previous` is null. */
export function changedTiles(g: Geometry, current: Uint32Array, previous: Uint32Array | null): number[] {
  const { columns, rows } = gridShape(g);
  const changed: number[] = [];
  for (let row = 0; row < rows; row++) {
    for (let col = 0; col < columns; col++) {
      if (!previous || tileDiffers(g, current, previous, col, row)) changed.push(row * columns + col);
    }
  }
  return changed;
}

function tileDiffers(g: Geometry, a: Uint32Array, b: Uint32Array, col: number, row: number): boolean {
  const r = tileRect(g, col, row);
  for (let y = r.y, end = r.y + r.height; y < end; y++) {
    let i = y * g.width + r.x;
    const stop = i + r.width;
    for (; i < stop; i++) if (a[i] !== b[i]) return true;
  }
  return false;
}

/** Copies one tile's pixels out of a full frame (row by row) into a tight RGBA buffer. */
export function extractTile(g: Geometry, frame: Uint32Array, col: number, row: number): ImageData {
  const r = tileRect(g, col, row);
  const out = new Uint32Array(r.width * r.height);
  for (let y = 0; y < r.height; y++) {
    const from = (r.y + y) * g.width + r.x;
    out.set(frame.subarray(from, from + r.width), y * r.width);
  }
  return new ImageData(new Uint8ClampedArray(out.buffer), r.width, r.height);
}

/** Copies one tile's pixels (row by row) into `into` at byte offset `at` (4-byte aligned): packs encoder batches. */
export function copyTileInto(
  g: Geometry,
  frame: Uint32Array,
  col: number,
  row: number,
  into: Uint8ClampedArray,
  at: number,
): void {
  const r = tileRect(g, col, row);
  const out = new Uint32Array(into.buffer, into.byteOffset + at, r.width * r.height);
  for (let y = 0; y < r.height; y++) {
    const from = (r.y + y) * g.width + r.x;
    out.set(frame.subarray(from, from + r.width), y * r.width);
  }
}
