// request_chunk for the browser: reads a recording's records from a byte offset with HTTP Range requests, chunk by
// chunk, and hands them out in order as views of the fetched chunks (a record split across chunks is joined once).
import { RECORD_HEADER_BYTES, RecordType, type RecordView, scanRecords } from '../../../shared/recording/format';

const CHUNK_BYTES = 512 * 1024;

export class RecordReader {
  private records: RecordView[] = [];
  private head = 0;
  /** bytes of a record that did not fit in the last chunk */
  private carry: Uint8Array = new Uint8Array(0);
  private carryOffset: number;
  private next: number;
  private fetching: Promise<void> | null = null;
  /** an End or Index record was reached: nothing follows */
  finished = false;
  private closed = false;

  constructor(
    private readonly url: string,
    offset: number,
    /** readable end of the file (grows while the recording is in progress) */
    private readonly end: () => number,
  ) {
    this.next = offset;
    this.carryOffset = offset;
  }

  /** Records fetched and not yet taken. */
  get buffered(): number {
    return this.records.length - this.head;
  }

  /** Time of the last buffered record, or -1. */
  get bufferedUntil(): number {
    return this.buffered > 0 ? this.records[this.records.length - 1].timeMs : -1;
  }

  peek(): RecordView | null {
    return this.head < this.records.length ? this.records[this.head] : null;
  }

  take(): RecordView | null {
    const r = this.peek();
    if (!r) return null;
    this.head++;
    if (this.head > 4096) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
    return r;
  }

  /** True when everything up to the current readable end has been fetched. */
  get atEdge(): boolean {
    return this.finished || this.next >= this.end();
  }

  close(): void {
    this.closed = true;
  }

  /** Fetches the next chunk (one request at a time); resolves when its records are buffered. */
  fill(): Promise<void> {
    if (this.fetching) return this.fetching;
    if (this.atEdge || this.closed) return Promise.resolve();
    this.fetching = this.fetchChunk().finally(() => (this.fetching = null));
    return this.fetching;
  }

  private async fetchChunk(): Promise<void> {
    // A record longer than a chunk needs its whole length in one go.
    const pending =
      this.carry.byteLength >= RECORD_HEADER_BYTES
        ? RECORD_HEADER_BYTES + new DataView(this.carry.buffer, this.carry.byteOffset).getUint32(4, true)
        : 0;
    const want = Math.max(CHUNK_BYTES, pending - this.carry.byteLength);
    const last = Math.min(this.end(), this.next + want) - 1;
    const res = await fetch(this.url, { headers: { range: `bytes=${this.next}-${last}` } });
    if (res.status !== 206) throw new Error(`chunk ${this.next}-${last}: HTTP ${res.status}`);
    const chunk = new Uint8Array(await res.arrayBuffer());
    if (this.closed) return;
    this.next += chunk.byteLength;
    let bytes = chunk;
    if (this.carry.byteLength > 0) {
      bytes = new Uint8Array(this.carry.byteLength + chunk.byteLength);
      bytes.set(this.carry);
      bytes.set(chunk, this.carry.byteLength);
    }
    const base = this.carryOffset;
    const { consumed } = scanRecords(bytes, base, (r) => {
      if (r.type === RecordType.End || r.type === RecordType.Index) {
        this.finished = true;
        return false;
      }
      this.records.push(r);
    });
    this.carry = bytes.subarray(consumed);
    this.carryOffset = base + consumed;
  }
}
