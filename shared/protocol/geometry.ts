// Tile grid arithmetic shared by presenter, server and viewer.
import { MAX_SCREEN_SIDE, MAX_TILE_SIZE, MIN_TILE_SIZE } from './constants';
import { ProtocolError, ProtocolErrorCode } from './errors';

export interface Geometry {
  width: number;
  height: number;
  tileSize: number;
}

export interface GridShape {
  columns: number;
  rows: number;
  tiles: number;
}

export function gridShape(g: Geometry): GridShape {
  const columns = Math.ceil(g.width / g.tileSize);
  const rows = Math.ceil(g.height / g.tileSize);
  return { columns, rows, tiles: columns * rows };
}

export function sameGeometry(a: Geometry | null, b: Geometry | null): boolean {
  return !!a && !!b && a.width === b.width && a.height === b.height && a.tileSize === b.tileSize;
}

export function validateGeometry(g: Geometry): Geometry {
  const bad = (why: string) => new ProtocolError(ProtocolErrorCode.BadGeometry, `bad geometry: ${why}`);
  if (g.width < 1 || g.height < 1) throw bad(`screen ${g.width}x${g.height} is empty`);
  if (g.width > MAX_SCREEN_SIDE || g.height > MAX_SCREEN_SIDE)
    throw bad(`screen ${g.width}x${g.height} is over ${MAX_SCREEN_SIDE} px a side`);
  if (g.tileSize < MIN_TILE_SIZE || g.tileSize > MAX_TILE_SIZE)
    throw bad(`tile size ${g.tileSize} is outside ${MIN_TILE_SIZE}..${MAX_TILE_SIZE}`);
  return g;
}

/** Pixel rectangle of tile (col,row): edge tiles are clipped to the screen. */
export function tileRect(g: Geometry, col: number, row: number) {
  const x = col * g.tileSize;
  const y = row * g.tileSize;
  return { x, y, width: Math.min(g.tileSize, g.width - x), height: Math.min(g.tileSize, g.height - y) };
}
