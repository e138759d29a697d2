// A viewer on a bare TCP socket that can stop reading: real kernel backpressure, no client library buffering.
// When it reads again, the bytes go through ws's own frame parser (Receiver) so every message is checked.
import { randomBytes } from 'node:crypto';
import { type Socket, connect } from 'node:net';
import type { Writable } from 'node:stream';
import * as wsModule from 'ws';
import { PictureModel, decodeMessage } from '../../shared/protocol';

// ws's frame parser; exported at runtime, not in @types/ws.
const Receiver = (wsModule as unknown as { Receiver: new (options: object) => Writable }).Receiver;

export class RawViewer {
  /** what it was sent, through the shared interpreter; `skipped` sums every sync's count */
  readonly model = new PictureModel<Buffer>((p) => Buffer.from(p));
  readonly picture = this.model.picture;
  readonly syncs = this.model.syncs;
  /** framing or decode errors: a corrupt stream is reported to the test, not thrown from a socket callback */
  errors: string[] = [];
  private receiver = new Receiver({ isServer: false, maxPayload: 0 });

  private constructor(readonly socket: Socket) {
    this.receiver.on('message', (data: Buffer, binary: boolean) => {
      if (!binary) return;
      try {
        this.model.apply(decodeMessage(new Uint8Array(data)));
      } catch (err) {
        this.errors.push(String(err));
      }
    });
    this.receiver.on('error', (err: Error) => this.errors.push(String(err)));
  }

  get tiles(): number {
    return this.model.tiles;
  }

  get skipped(): number {
    return this.model.skipped;
  }

  static open(port: number, path: string): Promise<RawViewer> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      // A small receive buffer makes the stall visible quickly (the kernel may still round it up).
      socket.once('connect', () => {
        socket.write(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        );
      });
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        if (!head.subarray(0, 12).toString().includes('101')) return reject(new Error(head.toString()));
        const viewer = new RawViewer(socket);
        const rest = head.subarray(end + 4);
        if (rest.length) viewer.receiver.write(rest);
        socket.on('data', (c: Buffer) => viewer.receiver.write(c));
        resolve(viewer);
      };
      socket.on('data', onData);
      socket.once('error', reject);
    });
  }

  /** Stop reading: the kernel buffers fill and the server sees backpressure. */
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
