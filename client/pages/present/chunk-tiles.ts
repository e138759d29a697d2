// Splits a frame's tiles into messages that respect the server's limits (bytes per message, tiles per frame).
import { FRAME_HEADER_BYTES, MAX_TILES_PER_FRAME, TILE_HEADER_BYTES } from '../../../shared/protocol/constants';
import type { TileInput } from '../../../shared/protocol/encode';

export function chunkTiles(
  tiles: readonly TileInput[],
  limits: { maxMessageBytes: number; maxTilesPerFrame: number },
): TileInput[][] {
  const maxTiles = Math.min(limits.maxTilesPerFrame, MAX_TILES_PER_FRAME);
  const chunks: TileInput[][] = [];
  let chunk: TileInput[] = [];
  let bytes = FRAME_HEADER_BYTES;
  for (const tile of tiles) {
    const size = TILE_HEADER_BYTES + tile.payload.byteLength;
    if (chunk.length && (chunk.length >= maxTiles || bytes + size > limits.maxMessageBytes)) {
      chunks.push(chunk);
      chunk = [];
      bytes = FRAME_HEADER_BYTES;
    }
    chunk.push(tile);
    bytes += size;
  }
  if (chunk.length) chunks.push(chunk);
  return chunks;
}
