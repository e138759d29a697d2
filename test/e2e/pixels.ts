// Picture comparison with sharp: both images decoded to raw RGB of the same size, then per-channel differences.
import sharp from 'sharp';

export interface PixelDiff {
  width: number;
  height: number;
  /** mean absolute difference per channel, 0..255 */
  mean: number;
  /** share of pixels where some channel differs by more than `tolerance` */
  badFraction: number;
  max: number;
}

export async function pixelDiff(a: Buffer, b: Buffer, tolerance = 24): Promise<PixelDiff> {
  const [ra, rb] = await Promise.all(
    [a, b].map((img) => sharp(img).removeAlpha().raw().toBuffer({ resolveWithObject: true })),
  );
  if (ra.info.width !== rb.info.width || ra.info.height !== rb.info.height)
    throw new Error(`sizes differ: ${ra.info.width}x${ra.info.height} vs ${rb.info.width}x${rb.info.height}`);
  const x = ra.data;
  const y = rb.data;
  let sum = 0;
  let max = 0;
  let bad = 0;
  for (let i = 0; i < x.length; i += 3) {
    const d0 = Math.abs(x[i] - y[i]);
    const d1 = Math.abs(x[i + 1] - y[i + 1]);
    const d2 = Math.abs(x[i + 2] - y[i + 2]);
    sum += d0 + d1 + d2;
    const m = Math.max(d0, d1, d2);
    if (m > max) max = m;
    if (m > tolerance) bad++;
  }
  const pixels = x.length / 3;
  return { width: ra.info.width, height: ra.info.height, mean: sum / x.length, badFraction: bad / pixels, max };
}

export function dataUrlToBuffer(url: string): Buffer {
  return Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
}
