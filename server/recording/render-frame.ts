// Renders a replayed picture to an image with sharp: tiles composited at their grid positions (seek-bar thumbnails).
import sharp from 'sharp';
import { TILE_HEADER_BYTES, tileRect } from '../../shared/protocol';
import type { Picture } from '../../shared/recording/picture';

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export async function renderPicture(picture: Picture, format: ImageFormat, width?: number): Promise<Buffer> {
  const g = picture.geometry!;
  const layers: sharp.OverlayOptions[] = [];
  for (const tile of picture.filledTiles()) {
    const rect = tileRect(g, tile.col, tile.row);
    const payload = tile.message.subarray(TILE_HEADER_BYTES);
    // A Buffer over the same memory: the tile bytes are not copied to hand them to sharp.
    layers.push({ input: Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), left: rect.x, top: rect.y });
  }
  let image = sharp({ create: { width: g.width, height: g.height, channels: 3, background: { r: 0, g: 0, b: 0 } } });
  if (layers.length > 0) {
    // sharp resizes before it composites within one pipeline, so composite first, then resize the raw result.
    const { data, info } = await image.composite(layers).raw().toBuffer({ resolveWithObject: true });
    image = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  }
  if (width && width < g.width) image = image.resize({ width });
  if (format === 'png') return image.png().toBuffer();
  if (format === 'jpeg') return image.jpeg({ quality: 80 }).toBuffer();
  return image.webp({ quality: 80 }).toBuffer();
}
