// One member of the capture worker's encoder pool: turns a batch of raw tiles into PNG/WebP payloads, in order.
import type { EncodeBatch, EncodeResult } from './encoder-pool';
import { encodeTile } from './tile-encoder';

self.addEventListener('message', async (e: MessageEvent<EncodeBatch>) => {
  const batch = e.data;
  const post = (msg: EncodeResult, transfer: Transferable[] = []) =>
    (self as unknown as Worker).postMessage(msg, transfer);
  try {
    let at = 0;
    const tiles = await Promise.all(
      batch.jobs.map((job) => {
        const bytes = job.width * job.height * 4;
        const pixels = new ImageData(new Uint8ClampedArray(batch.pixels, at, bytes), job.width, job.height);
        at += bytes;
        return encodeTile(pixels, job.col, job.row, {
          codec: job.codec,
          quality: batch.quality,
          maxTileBytes: batch.maxTileBytes,
        });
      }),
    );
    post(
      { id: batch.id, tiles },
      tiles.map((t) => t.payload.buffer),
    );
  } catch (err) {
    post({ id: batch.id, error: (err as Error).message ?? String(err) });
  }
});
