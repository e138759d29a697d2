// Encodes one tile with OffscreenCanvas.convertToBlob (the browser's encoder, off the main thread in a worker).
import type { CodecName } from '../../../shared/protocol/constants';
import type { TileInput } from '../../../shared/protocol/encode';
import type { TileCodecSettings } from './encoder-pool';
import { encodePng } from './png-encoder';

const MIME_CODEC: Record<string, CodecName> = { 'image/webp': 'webp', 'image/png': 'png', 'image/jpeg': 'jpeg' };

export async function encodeTile(
  pixels: ImageData,
  col: number,
  row: number,
  settings: TileCodecSettings,
): Promise<TileInput> {
  // Lossless tiles skip the canvas: see png-encoder.ts for the measured difference.
  if (settings.codec === 'png') {
    const payload = encodePng(pixels.data, pixels.width, pixels.height);
    if (payload.byteLength <= settings.maxTileBytes) return { col, row, codec: 'png', payload };
  }
  // A canvas per tile: convertToBlob is asynchronous, and tiles are encoded concurrently.
  const canvas = new OffscreenCanvas(pixels.width, pixels.height);
  canvas.getContext('2d')!.putImageData(pixels, 0, 0);
  let blob = await canvas.convertToBlob({ type: `image/${settings.codec}`, quality: settings.quality });
  if (blob.size > settings.maxTileBytes) blob = await canvas.convertToBlob({ type: 'image/webp', quality: 0.5 });
  // Browsers without a WebP encoder silently return PNG: label the tile with what we really got.
  const codec = MIME_CODEC[blob.type] ?? 'png';
  return { col, row, codec, payload: new Uint8Array(await blob.arrayBuffer()) };
}
