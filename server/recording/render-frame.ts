// Renders a replayed picture to an image (seek-bar thumbnails, stills) with the bounded tile renderer that room
// snapshots use (server/imaging/render-tiles.ts): clamped size, tiles decoded one by one under a pixel limit.
import { TILE_HEADER_BYTES } from '../../shared/protocol';
import type { Picture } from '../../shared/recording/picture';
import { type ImageFormat, renderTiles } from '../imaging/render-tiles';

export type { ImageFormat };

export async function renderPicture(picture: Picture, format: ImageFormat, width?: number, signal?: AbortSignal): Promise<Buffer> {
  const tiles = picture.filledTiles().map((t) => ({ col: t.col, row: t.row, payload: t.message.subarray(TILE_HEADER_BYTES) }));
  return renderTiles(picture.geometry!, tiles, format, width, signal);
}
