// Reads a region of a file through one buffer per response, reused for every chunk: streaming N ranges costs N
// small buffers, with no per-chunk garbage waiting for the GC (fs streams allocate a fresh buffer per read, which
// under many concurrent ranges showed up as tens of MB of RSS). The caller hands each chunk to the socket and
// waits until it is taken before asking for the next one.
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import type { FileRegion } from './types';

export const REGION_CHUNK_BYTES = 64 * 1024;

export class RegionReader {
  private readonly buf: Buffer;
  private position: number;
  private remaining: number;
  private closed = false;

  private constructor(
    private readonly file: FileHandle,
    region: FileRegion,
    length: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(1, Math.min(REGION_CHUNK_BYTES, length)));
    this.position = region.start;
    this.remaining = length;
  }

  static async open(region: FileRegion, length: number): Promise<RegionReader> {
    // O_NOFOLLOW: the last path component must not be a symbolic link (recordings folder rule).
    const flags = constants.O_RDONLY | (region.noFollow ? constants.O_NOFOLLOW : 0);
    return new RegionReader(await open(region.path, flags), region, length);
  }

  /** The next chunk (a view of the shared buffer, valid until the next call), or null at the end. */
  async next(): Promise<Buffer | null> {
    if (this.remaining === 0) return null;
    const want = Math.min(this.buf.byteLength, this.remaining);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await this.file.read(this.buf, got, want - got, this.position + got);
      if (bytesRead === 0) throw new Error(`file ended ${this.remaining - got} bytes before the announced length`);
      got += bytesRead;
    }
    this.position += got;
    this.remaining -= got;
    return this.buf.subarray(0, got);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.file.close().catch(() => {});
  }
}
