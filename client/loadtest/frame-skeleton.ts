// A Frame message reduced to its headers as it streams in: the frame header and every tile record's header, with
// each record's payload skipped and its payloadLength written as 0, so the result parses as a Frame of empty
// tiles. Built into one buffer reused for every message: reading a 1 MB frame costs its record headers, not a copy.
import { FRAME_HEADER_BYTES, TILE_HEADER_BYTES } from '../../shared/protocol/constants';

/** payloadLength is the last u32 of a tile record header */
const PAYLOAD_LENGTH_AT = TILE_HEADER_BYTES - 4;

export class FrameSkeleton {
  private buf = new Uint8Array(FRAME_HEADER_BYTES + 512 * TILE_HEADER_BYTES);
  private used = 0;
  /** header bytes still to copy before the next payload (or record) */
  private need = FRAME_HEADER_BYTES;
  /** payload bytes still to skip */
  private skip = 0;
  private inFrameHeader = true;

  reset(): void {
    this.used = 0;
    this.need = FRAME_HEADER_BYTES;
    this.skip = 0;
    this.inFrameHeader = true;
  }

  push(chunk: Uint8Array, at: number, n: number): void {
    const end = at + n;
    let i = at;
    while (i < end) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, end - i);
        this.skip -= k;
        i += k;
        continue;
      }
      const k = Math.min(this.need, end - i);
      if (this.used + k > this.buf.length) this.grow();
      this.buf.set(chunk.subarray(i, i + k), this.used);
      this.used += k;
      this.need -= k;
      i += k;
      if (this.need > 0) return;
      if (this.inFrameHeader) this.inFrameHeader = false;
      else {
        // a whole record header: skip its payload, and say so in the copy
        const lengthAt = this.used - TILE_HEADER_BYTES + PAYLOAD_LENGTH_AT;
        const b = this.buf;
        this.skip = (b[lengthAt] | (b[lengthAt + 1] << 8) | (b[lengthAt + 2] << 16) | (b[lengthAt + 3] << 24)) >>> 0;
        b.fill(0, lengthAt, lengthAt + 4);
      }
      this.need = TILE_HEADER_BYTES;
    }
  }

  /** The headers so far: valid until the next reset() or push(). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.used);
  }

  private grow(): void {
    const next = new Uint8Array(this.buf.length * 2);
    next.set(this.buf.subarray(0, this.used));
    this.buf = next;
  }
}
