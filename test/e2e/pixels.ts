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

/** Both images as raw RGB. */
const rawPair = (a: Buffer, b: Buffer) =>
  Promise.all([a, b].map((img) => sharp(img).removeAlpha().raw().toBuffer({ resolveWithObject: true })));

const sameSize = (ra: { info: sharp.OutputInfo }, rb: { info: sharp.OutputInfo }) =>
  ra.info.width === rb.info.width && ra.info.height === rb.info.height;

export async function pixelDiff(a: Buffer, b: Buffer, tolerance = 24): Promise<PixelDiff> {
  const [ra, rb] = await rawPair(a, b);
  if (!sameSize(ra, rb))
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

/**
 * The share of a region's tiles (`tileSize` px, edge tiles clipped) that are equal to the byte in both pictures;
 * 0 when the pictures differ in size.
 */
export async function exactTileShare(
  a: Buffer,
  b: Buffer,
  region: { col: number; row: number; columns: number; rows: number },
  tileSize = 64,
): Promise<number> {
  const [ra, rb] = await rawPair(a, b);
  if (!sameSize(ra, rb)) return 0;
  const { width, height } = ra.info;
  const [x, y] = [ra.data, rb.data];
  let exact = 0;
  for (let r = region.row; r < region.row + region.rows; r++)
    for (let c = region.col; c < region.col + region.columns; c++) {
      let same = true;
      for (let py = r * tileSize; same && py < Math.min(height, (r + 1) * tileSize); py++) {
        const from = (py * width + c * tileSize) * 3;
        const to = (py * width + Math.min(width, (c + 1) * tileSize)) * 3;
        same = x.subarray(from, to).equals(y.subarray(from, to));
      }
      if (same) exact++;
    }
  return exact / (region.columns * region.rows);
}

export function dataUrlToBuffer(url: string): Buffer {
  return Buffer.from(url.slice(url.indexOf(',') + 1), 'base64');
}
