// Bounds what a geometry announcement may cost. A grid of 8192x8192 at 16 px is 262,144 tiles, and every viewer
// keeps a grid of the room's size; a geometry change resets every viewer and the ScreenShot. So: a cap on tiles
// per room (4413), and at most N changes per second per room (4429), counted per room so reconnecting does not
// reset the count. The window is fixed (one second from its first change): cheap, and at most 2N in any second.
import { type Geometry, gridShape } from '../../shared/protocol';
import { GeometryRateError, RoomLimitError } from '../errors';

export interface GeometryLimits {
  maxTilesPerRoom: number;
  maxGeometryChangesPerSecond: number;
}

interface Window {
  start: number;
  count: number;
}

/** Per room, held only while the room is alive. */
const windows = new WeakMap<object, Window>();

/** Throws (nothing changes) when the new geometry is over the tile cap or the room changes geometry too often. */
export function admitGeometry(room: object, geometry: Geometry, limits: GeometryLimits, now = Date.now()): void {
  const { columns, rows, tiles } = gridShape(geometry);
  if (tiles > limits.maxTilesPerRoom)
    throw new RoomLimitError(
      `geometry ${geometry.width}x${geometry.height} at ${geometry.tileSize} px is ${columns}x${rows} = ${tiles} tiles, room limit is ${limits.maxTilesPerRoom} (use larger tiles)`,
    );
  let w = windows.get(room);
  if (!w) windows.set(room, (w = { start: now, count: 0 }));
  if (now - w.start >= 1000) {
    w.start = now;
    w.count = 0;
  }
  if (++w.count > limits.maxGeometryChangesPerSecond) throw new GeometryRateError(limits.maxGeometryChangesPerSecond);
}
