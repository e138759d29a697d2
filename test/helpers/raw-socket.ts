// A WebSocket client on a bare TCP socket for hostile tests: sends any bytes (bad handshakes, forged frames,
// floods), can stop reading, and parses what the server sends with ws's own Receiver (close code and reason).
import { randomBytes } from 'node:crypto';
import { type Socket, connect } from 'node:net';
import type { Writable } from 'node:stream';
import * as wsModule from 'ws';

const Receiver = (wsModule as unknown as { Receiver: new (options: object) => Writable }).Receiver;

export { Opcode } from '../../shared/ws-frame-header';

/**
 * One client frame with a zero masking key (XOR with 0 leaves the payload as is), so one payload buffer can be
 * written to many sockets without copies. `declaredLength` forges the length field.
 */
export function clientFrame(
  opcode: number,
  payload: Uint8Array = new Uint8Array(0),
  opts: { fin?: boolean; rsv?: number; declaredLength?: number; masked?: boolean } = {},
): Buffer {
  const len = opts.declaredLength ?? payload.byteLength;
  const masked = opts.masked ?? true;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (masked ? 4 : 0));
  head[0] = ((opts.fin ?? true) ? 0x80 : 0) | ((opts.rsv ?? 0) << 4) | opcode;
  head[1] = (masked ? 0x80 : 0) | (ext === 0 ? len : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(len, 2);
  if (ext === 8) head.writeBigUInt64BE(BigInt(len), 2);
  return payload.byteLength ? Buffer.concat([head, payload]) : head;
}

export function handshake(port: number, path: string, headers: Record<string, string> = {}): string {
  const all: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  const lines = Object.entries(all)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}\r\n`);
  return `GET ${path} HTTP/1.1\r\n${lines.join('')}\r\n`;
}

export class RawSocket {
  /** status line of the HTTP answer, e.g. "HTTP/1.1 101 Switching Protocols" */
  status = '';
  /** the whole HTTP answer head (and body, for refusals) */
  response = '';
  close: { code: number; reason: string } | null = null;
  /** TCP closed by either side */
  ended = false;
  endedAt = 0;
  messages = 0;
  /** text messages received */
  texts: string[] = [];
  private upgraded = false;
  private receiver = new Receiver({ isServer: false, maxPayload: 0 });

  private constructor(readonly socket: Socket) {
    this.receiver.on('conclude', (code: number, reason: Buffer) => (this.close = { code, reason: reason.toString() }));
    this.receiver.on('message', (data: Buffer, binary: boolean) => {
      this.messages++;
      if (!binary) this.texts.push(data.toString());
    });
    this.receiver.on('error', () => {});
    socket.on('error', () => {});
    socket.on('close', () => {
      this.ended = true;
      this.endedAt = Date.now();
    });
    let head = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      if (this.upgraded) return void this.receiver.write(chunk);
      head = Buffer.concat([head, chunk]);
      this.response = head.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.status = this.response.slice(0, this.response.indexOf('\r\n'));
      if (/^HTTP\/1\.1 101/.test(this.status)) {
        this.upgraded = true;
        const rest = head.subarray(end + 4);
        if (rest.length) this.receiver.write(rest);
      }
    });
  }

  /** Connects and writes `request` (a handshake or anything else); resolves once connected. */
  static open(port: number, request: string | Buffer = ''): Promise<RawSocket> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => {
        const raw = new RawSocket(socket);
        if (request.length) socket.write(request);
        resolve(raw);
      });
    });
  }

  /** Connects with a valid handshake for `path` and resolves after 101 (rejects with the answer otherwise). */
  static async upgrade(port: number, path: string, headers: Record<string, string> = {}): Promise<RawSocket> {
    const raw = await RawSocket.open(port, handshake(port, path, headers));
    const start = performance.now();
    while (!raw.status && !raw.ended && performance.now() - start < 5000) await new Promise((r) => setTimeout(r, 5));
    if (!raw.upgraded) {
      raw.destroy();
      throw new Error(`upgrade refused: ${raw.response || '(no answer)'}`);
    }
    return raw;
  }

  /** false when the kernel buffer is full (the caller may wait for 'drain') */
  write(data: Uint8Array | string): boolean {
    return this.socket.writable ? this.socket.write(data) : false;
  }

  stall(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
