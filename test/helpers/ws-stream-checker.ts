// An independent, strict RFC 6455 parser for the server->client byte stream (no ws, no uWS code): every frame
// header, length encoding, opcode and fragment sequence is checked, and every complete message is handed on.
// Any violation is recorded with its byte offset instead of thrown, so a test can assert "no violations".

// Its own opcode table, not shared/ws-frame-header.ts's: the oracle shares nothing with the ws engine's writer
// that it checks.
export const Opcode = { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const;

export interface StreamViolation {
  offset: number;
  reason: string;
  /** the first bytes at the offending frame, hex */
  bytes: string;
}

export type MessageSink = (opcode: number, payload: Buffer) => void;

export class WsStreamChecker {
  /** bytes consumed so far (offset of the next unparsed byte in the stream) */
  offset = 0;
  messages = 0;
  /** data frames, fragments counted one by one (a message sent in one piece is one frame) */
  dataFrames = 0;
  violation: StreamViolation | null = null;
  private pending: Buffer = Buffer.alloc(0);
  /** opcode of a fragmented data message in progress, or -1 */
  private fragmentOpcode = -1;
  private fragments: Buffer[] = [];

  constructor(private readonly onMessage: MessageSink) {}

  write(chunk: Buffer): void {
    if (this.violation) return;
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (!this.violation && this.parseOne());
  }

  /** Parses one frame if it is complete; false when more bytes are needed or the stream is broken. */
  private parseOne(): boolean {
    const b = this.pending;
    if (b.length < 2) return false;
    const fin = (b[0] & 0x80) !== 0;
    const rsv = b[0] & 0x70;
    const opcode = b[0] & 0x0f;
    const masked = (b[1] & 0x80) !== 0;
    let length = b[1] & 0x7f;
    let header = 2;
    if (rsv) return this.fail(`reserved bits ${rsv.toString(16)} set (no extension was negotiated)`);
    if (![0, 1, 2, 8, 9, 10].includes(opcode)) return this.fail(`unknown opcode ${opcode}`);
    if (masked) return this.fail('a server frame is masked');
    if (length === 126) {
      if (b.length < 4) return false;
      length = b.readUInt16BE(2);
      header = 4;
      if (length < 126) return this.fail(`16-bit length ${length} is not minimal`);
    } else if (length === 127) {
      if (b.length < 10) return false;
      const big = b.readBigUInt64BE(2);
      if (big >> 63n) return this.fail('64-bit length has its top bit set');
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) return this.fail(`absurd length ${big}`);
      length = Number(big);
      header = 10;
      if (length < 65536) return this.fail(`64-bit length ${length} is not minimal`);
    }
    const control = opcode >= 8;
    if (control && (!fin || length > 125)) return this.fail(`control frame ${opcode} fragmented or ${length} bytes`);
    if (opcode === Opcode.Continuation && this.fragmentOpcode < 0)
      return this.fail('continuation without a started message');
    if ((opcode === Opcode.Text || opcode === Opcode.Binary) && this.fragmentOpcode >= 0)
      return this.fail('new data message while a fragmented one is unfinished');
    if (b.length < header + length) return false;
    const payload = b.subarray(header, header + length);
    this.pending = b.subarray(header + length);
    this.offset += header + length;
    if (control) {
      this.messages++;
      this.onMessage(opcode, payload);
      return true;
    }
    this.dataFrames++;
    if (!fin) {
      if (opcode !== Opcode.Continuation) this.fragmentOpcode = opcode;
      this.fragments.push(payload);
      return true;
    }
    let whole = payload;
    let messageOpcode = opcode;
    if (opcode === Opcode.Continuation) {
      this.fragments.push(payload);
      whole = Buffer.concat(this.fragments);
      messageOpcode = this.fragmentOpcode;
      this.fragments = [];
      this.fragmentOpcode = -1;
    }
    this.messages++;
    this.onMessage(messageOpcode, whole);
    return true;
  }

  /** Records a violation found by a protocol-level check of a message (not the framing). */
  reject(reason: string, payload: Buffer): void {
    this.violation ??= { offset: this.offset, reason, bytes: payload.subarray(0, 16).toString('hex') };
  }

  private fail(reason: string): false {
    this.violation = { offset: this.offset, reason, bytes: this.pending.subarray(0, 16).toString('hex') };
    return false;
  }
}
