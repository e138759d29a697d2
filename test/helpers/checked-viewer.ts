// A raw-TCP viewer whose every received byte goes through the independent WsStreamChecker and then the strict
// protocol decoder; it can stop reading (real kernel backpressure) and keeps the picture as of its last sync.
import { randomBytes } from 'node:crypto';
import { type Socket, connect } from 'node:net';
import { PROTOCOL_VERSION, PictureModel, decodeMessage, parseServerControl } from '../../shared/protocol';
import { Opcode, WsStreamChecker } from './ws-stream-checker';

export class CheckedViewer {
  readonly checker: WsStreamChecker;
  /** what it was sent, through the shared interpreter; each sync is checked for order */
  private readonly model = new PictureModel<Buffer>((p) => Buffer.from(p), (seq) => this.sync(seq));
  lastSync = 0;
  syncs = 0;
  bytes = 0;
  closed = false;

  private constructor(readonly socket: Socket) {
    this.checker = new WsStreamChecker((opcode, payload) => this.onMessage(opcode, payload));
    socket.on('close', () => (this.closed = true));
  }

  private onMessage(opcode: number, payload: Buffer): void {
    if (opcode === Opcode.Text) {
      try {
        parseServerControl(payload.toString('utf8'));
      } catch (err) {
        this.checker.reject(`text message is not a valid control message: ${err}`, payload);
      }
      return;
    }
    if (opcode !== Opcode.Binary) return;
    if (payload[0] !== PROTOCOL_VERSION) return this.checker.reject(`message starts with version ${payload[0]}`, payload);
    try {
      this.model.apply(decodeMessage(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)));
    } catch (err) {
      this.checker.reject(String(err), payload);
    }
  }

  /** the picture as of the last sync */
  get synced(): Map<string, Buffer> {
    return this.model.synced;
  }

  private sync(seq: number): void {
    if (seq < this.lastSync) this.checker.reject(`sync ${seq} after sync ${this.lastSync}`, Buffer.alloc(0));
    this.lastSync = seq;
    this.syncs++;
  }

  static open(port: number, path: string): Promise<CheckedViewer> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () =>
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        ),
      );
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        if (!head.subarray(0, 12).toString().includes('101')) return reject(new Error(head.toString()));
        const viewer = new CheckedViewer(socket);
        const feed = (c: Buffer) => {
          viewer.bytes += c.length;
          viewer.checker.write(c);
        };
        if (end + 4 < head.length) feed(head.subarray(end + 4));
        socket.on('data', feed);
        resolve(viewer);
      };
      socket.on('data', onData);
      socket.once('error', reject);
    });
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
