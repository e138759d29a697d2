// Appends buffers to a recording file off the event loop: a bounded queue flushed with positional writev
// (libuv thread pool) and fdatasync every flush interval. The caller's buffers are written as they are, never joined.
import { close, fdatasync, writev } from 'node:fs';
import { promisify } from 'node:util';

const writevAsync = promisify(writev);
const fdatasyncAsync = promisify(fdatasync);
const closeAsync = promisify(close);

export interface FileWriterOptions {
  /** queue + in-flight bytes above which `append` refuses (the recorder then marks a gap) */
  maxQueueBytes: number;
  flushMs: number;
  /** flush early once this many bytes wait, so a burst does not sit in memory for a whole interval */
  eagerFlushBytes: number;
  /** fdatasync after each write: "durable" then survives a power cut, not just a process kill */
  sync: boolean;
}

/** Linux IOV_MAX: one writev takes at most this many buffers. */
const IOV_MAX = 1024;

export class FileWriter {
  private queue: Uint8Array[] = [];
  private queueBytes = 0;
  private queueTimeMs = 0;
  private inFlightBytes = 0;
  private writing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** file length once everything accepted so far is written */
  appendedEnd: number;
  /** file length known to be written (and synced): readers of an in-progress recording stop here */
  durableEnd: number;
  /** time (ms since start) of the last record inside `durableEnd` */
  durableTimeMs = 0;
  failed: Error | null = null;

  constructor(
    /** an fd opened for writing; positional writes, so the file offset is never relied on */
    private readonly fd: number,
    startOffset: number,
    private readonly options: FileWriterOptions,
    private readonly onError: (err: Error) => void,
  ) {
    this.appendedEnd = startOffset;
    this.durableEnd = startOffset;
    this.timer = setInterval(() => void this.flush(), options.flushMs);
    this.timer.unref();
  }

  /** bytes accepted but not yet durable */
  get pendingBytes(): number {
    return this.queueBytes + this.inFlightBytes;
  }

  /** True when `bytes` more would fit in the queue. */
  hasRoom(bytes: number): boolean {
    return !this.closed && !this.failed && this.pendingBytes + bytes <= this.options.maxQueueBytes;
  }

  /**
   * Queues one record (its buffers in order); returns its file offset, or -1 when the queue is full.
   * `force` is for the few closing records (end, index, trailer), which must not be lost to a full queue.
   */
  append(buffers: readonly Uint8Array[], bytes: number, timeMs: number, force = false): number {
    if (this.failed || (!force && !this.hasRoom(bytes))) return -1;
    const offset = this.appendedEnd;
    for (const b of buffers) this.queue.push(b);
    this.queueBytes += bytes;
    this.queueTimeMs = timeMs;
    this.appendedEnd += bytes;
    if (this.queueBytes >= this.options.eagerFlushBytes && !this.writing) setImmediate(() => void this.flush());
    return offset;
  }

  /** Writes what is queued; resolves when it is durable. Concurrent calls wait for the write in progress first. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.queue.length === 0 || this.failed) return;
    const buffers = this.queue;
    const bytes = this.queueBytes;
    const timeMs = this.queueTimeMs;
    this.queue = [];
    this.queueBytes = 0;
    this.inFlightBytes = bytes;
    this.writing = this.write(buffers, this.durableEnd)
      .then(() => {
        this.durableEnd += bytes;
        this.durableTimeMs = timeMs;
      })
      .catch((err: Error) => {
        this.failed = err;
        this.onError(err);
      })
      .finally(() => {
        this.inFlightBytes = 0;
        this.writing = null;
      });
    await this.writing;
  }

  private async write(buffers: Uint8Array[], position: number): Promise<void> {
    let at = position;
    for (let i = 0; i < buffers.length; i += IOV_MAX) {
      let batch = buffers.slice(i, i + IOV_MAX);
      let want = 0;
      for (const b of batch) want += b.byteLength;
      // Regular files are written in full by libuv; the loop only guards against a short write anyway.
      while (want > 0) {
        const { bytesWritten } = await writevAsync(this.fd, batch, at);
        at += bytesWritten;
        want -= bytesWritten;
        if (want > 0) batch = dropPrefix(batch, bytesWritten);
      }
    }
    if (this.options.sync) await fdatasyncAsync(this.fd);
  }

  /** Flushes everything, stops the timer and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
    await closeAsync(this.fd).catch(() => {});
  }
}

function dropPrefix(buffers: Uint8Array[], n: number): Uint8Array[] {
  let skip = n;
  const out: Uint8Array[] = [];
  for (const b of buffers) {
    if (skip >= b.byteLength) {
      skip -= b.byteLength;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}
