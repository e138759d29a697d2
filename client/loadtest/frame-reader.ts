// Streaming WebSocket frame reader for the load generator: keeps only each message's first bytes and skips the rest,
// so reading 100k messages/s costs a header parse each, not a copy each.

import {
  CURSOR_BYTES,
  ERROR_HEADER_BYTES,
  FRAME_HEADER_BYTES,
  GEOMETRY_BYTES,
  STATUS_BYTES,
  SYNC_BYTES,
  TILE_HEADER_BYTES,
} from '../../shared/protocol/constants';
import { Opcode } from '../../shared/ws-frame-header';
import { FrameSkeleton } from './frame-skeleton';

/** Bytes kept from the start of a binary message: the largest fixed header of any message type. */
export const BINARY_HEAD_BYTES = Math.max(
  FRAME_HEADER_BYTES,
  TILE_HEADER_BYTES,
  SYNC_BYTES,
  GEOMETRY_BYTES,
  CURSOR_BYTES,
  STATUS_BYTES,
  ERROR_HEADER_BYTES,
);
/** Text messages (welcome JSON, Socket.IO packets) are kept whole up to this size. */
const MAX_TEXT_BYTES = 64 * 1024;

export interface FrameSink {
  /** `head` is a view valid only during the call: the first bytes of a binary message, or all of a text message. */
  message(opcode: number, head: Uint8Array, length: number): void;
  control(opcode: number, payload: Uint8Array): void;
  protocolError(message: string): void;
}

export class FrameReader {
  private readonly hdr = new Uint8Array(14);
  private hdrHave = 0;
  private hdrNeed = 2;
  private inPayload = false;
  private remaining = 0;
  private frameOpcode = 0;
  private fin = false;
  /** the data message being assembled (it may span continuation frames) */
  private msgOpcode = 0;
  private msgLength = 0;
  private readonly binHead = new Uint8Array(BINARY_HEAD_BYTES);
  private text: Buffer[] = [];
  /** binary messages of a type in `keepWhole` (batched Frame messages carry many tile headers) are kept as their
   * headers only: see FrameSkeleton */
  private readonly skeleton = new FrameSkeleton();
  private inSkeleton = false;
  private ctrl = Buffer.alloc(0);
  private failed = false;

  constructor(
    private readonly sink: FrameSink,
    /** message types (byte 1) whose binary messages are delivered whole */
    private readonly keepWhole: ReadonlySet<number> = new Set(),
  ) {}

  push(chunk: Uint8Array, start = 0, end = chunk.length): void {
    let i = start;
    while (i < end && !this.failed) {
      if (!this.inPayload) {
        while (this.hdrHave < this.hdrNeed && i < end) this.hdr[this.hdrHave++] = chunk[i++];
        if (this.hdrHave < this.hdrNeed) return;
        if (this.hdrNeed === 2) {
          const len7 = this.hdr[1] & 0x7f;
          const need = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (this.hdr[1] & 0x80 ? 4 : 0);
          if (need > 2) {
            this.hdrNeed = need;
            continue;
          }
        }
        this.beginFrame();
        if (this.remaining === 0 && !this.failed) this.endFrame();
        continue;
      }
      const take = Math.min(this.remaining, end - i);
      this.capture(chunk, i, take);
      i += take;
      this.remaining -= take;
      if (this.remaining === 0) this.endFrame();
    }
  }

  private fail(message: string): void {
    this.failed = true;
    this.sink.protocolError(message);
  }

  private beginFrame(): void {
    const b0 = this.hdr[0];
    const b1 = this.hdr[1];
    if (b1 & 0x80) return this.fail('server sent a masked frame');
    const len7 = b1 & 0x7f;
    let length = len7;
    if (len7 === 126) length = (this.hdr[2] << 8) | this.hdr[3];
    else if (len7 === 127)
      length =
        ((this.hdr[2] << 24) | (this.hdr[3] << 16) | (this.hdr[4] << 8) | this.hdr[5]) * 2 ** 32 +
        (((this.hdr[6] << 24) | (this.hdr[7] << 16) | (this.hdr[8] << 8) | this.hdr[9]) >>> 0);
    this.fin = (b0 & 0x80) !== 0;
    this.frameOpcode = b0 & 0x0f;
    this.remaining = length;
    this.inPayload = true;
    this.hdrHave = 0;
    this.hdrNeed = 2;
    if (this.frameOpcode >= 8) {
      if (length > 125 || !this.fin)
        return this.fail(`bad control frame (opcode ${this.frameOpcode}, ${length} bytes)`);
      this.ctrl = Buffer.alloc(length);
    } else if (this.frameOpcode === Opcode.Continuation) {
      if (this.msgOpcode === 0) return this.fail('continuation frame without a message');
    } else {
      if (this.msgOpcode !== 0) return this.fail('new message inside a fragmented one');
      if (this.frameOpcode !== Opcode.Text && this.frameOpcode !== Opcode.Binary)
        return this.fail(`unknown opcode ${this.frameOpcode}`);
      this.msgOpcode = this.frameOpcode;
      this.msgLength = 0;
    }
  }

  private capture(chunk: Uint8Array, at: number, n: number): void {
    if (this.frameOpcode >= 8) {
      this.ctrl.set(chunk.subarray(at, at + n), this.ctrl.length - this.remaining);
      return;
    }
    if (this.msgOpcode === Opcode.Binary) {
      const before = this.msgLength;
      if (before < BINARY_HEAD_BYTES) {
        const k = Math.min(n, BINARY_HEAD_BYTES - before);
        this.binHead.set(chunk.subarray(at, at + k), before);
      }
      // the type byte just arrived: decide whether this message's record headers are kept
      if (before < 2 && before + n >= 2 && this.keepWhole.has(this.binHead[1])) {
        this.skeleton.reset();
        this.skeleton.push(this.binHead, 0, before);
        this.inSkeleton = true;
      }
      if (this.inSkeleton) this.skeleton.push(chunk, at, n);
    } else if (this.msgLength < MAX_TEXT_BYTES) {
      this.text.push(Buffer.from(chunk.subarray(at, at + Math.min(n, MAX_TEXT_BYTES - this.msgLength))));
    }
    this.msgLength += n;
  }

  private endFrame(): void {
    this.inPayload = false;
    if (this.frameOpcode >= 8) {
      this.sink.control(this.frameOpcode, this.ctrl);
      return;
    }
    if (!this.fin) return;
    const opcode = this.msgOpcode;
    const length = this.msgLength;
    this.msgOpcode = 0;
    this.msgLength = 0;
    if (opcode === Opcode.Binary && this.inSkeleton) {
      this.inSkeleton = false;
      this.sink.message(opcode, this.skeleton.bytes(), length);
    } else if (opcode === Opcode.Binary) {
      this.sink.message(opcode, this.binHead.subarray(0, Math.min(length, BINARY_HEAD_BYTES)), length);
    } else {
      const text = this.text.length === 1 ? this.text[0] : Buffer.concat(this.text);
      this.text = [];
      this.sink.message(opcode, text, length);
    }
  }
}
