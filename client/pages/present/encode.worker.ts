// One member of the capture worker's encoder pool: turns raw tile pixels into WebP/PNG bytes.
import { encodeTile } from './tile-encoder';
import type { EncodeJob, EncodeResult } from './encoder-pool';

self.addEventListener('message', async (e: MessageEvent<EncodeJob>) => {
  const job = e.data;
  const post = (msg: EncodeResult, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);
  try {
    const pixels = new ImageData(new Uint8ClampedArray(job.pixels), job.width, job.height);
    const tile = await encodeTile(pixels, job.col, job.row, job.settings);
    post({ id: job.id, tile }, [tile.payload.buffer]);
  } catch (err) {
    post({ id: job.id, error: (err as Error).message ?? String(err) });
  }
});
