// Picks a tile's codec by what it holds. Text and UI are mostly flat: most pixels equal their left neighbour, even
// after the capture's YUV 4:2:0 round trip (which smears text edges into hundreds of distinct colours, so counting
// colours does not work). Such tiles compress losslessly to fewer bytes than WebP and encode 5-8x faster with
// png-encoder.ts (Chromium worker, 64 px text tiles: ~0.7 ms and ~0.8 KB, WebP ~5 ms and ~1.4 KB on a loaded
// machine). Photographs, video and gradients have almost no equal neighbours: only a lossy codec stays small.
import { type Geometry, tileRect } from '../../shared/protocol/geometry';

/** At least this share of pixels equal to their left neighbour makes a tile flat. */
export const MIN_FLAT_SHARE = 0.5;

/** True when the tile at (col, row) of `frame` is mostly runs of equal pixels (text, UI, flat fills). */
export function isFlatTile(
  g: Geometry,
  frame: Uint32Array,
  col: number,
  row: number,
  minShare = MIN_FLAT_SHARE,
): boolean {
  const r = tileRect(g, col, row);
  if (r.width < 2) return true;
  const needed = Math.ceil(minShare * (r.width - 1) * r.height);
  let equal = 0;
  for (let y = r.y, end = r.y + r.height; y < end; y++) {
    for (let i = y * g.width + r.x + 1, stop = y * g.width + r.x + r.width; i < stop; i++) {
      if (frame[i] === frame[i - 1] && ++equal >= needed) return true;
    }
  }
  return false;
}
