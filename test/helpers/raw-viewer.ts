// A viewer on a bare TCP socket that can stop reading: real kernel backpressure, no client library buffering.
// When it reads again, the bytes go through ws's own frame parser (Receiver) so every message is checked.
import type { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import * as wsModule from 'ws';
import { rawUpgrade } from './raw-upgrade';
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

  static async open(port: number, path: string): Promise<RawViewer> {
    const { socket, rest } = await rawUpgrade(port, path);
    const viewer = new RawViewer(socket);
    if (rest.length) viewer.receiver.write(rest);
    socket.on('data', (c: Buffer) => viewer.receiver.write(c));
    return viewer;
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
