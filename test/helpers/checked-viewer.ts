// A raw-TCP viewer whose every received byte goes through the independent WsStreamChecker and then the strict
// protocol decoder; it can stop reading (real kernel backpressure) and keeps the picture as of its last sync.
import type { Socket } from 'node:net';
import { PROTOCOL_VERSION, PictureModel, decodeMessage, parseServerControl } from '../../shared/protocol';
import { Opcode as ClientOpcode, clientFrame } from './raw-socket';
import { rawUpgrade } from './raw-upgrade';
import { Opcode, WsStreamChecker } from './ws-stream-checker';

/**
 * How the viewer acks syncs: not at all (paced by socket backpressure only), on reading each one (as the browser
 * viewer does once it painted it), or 'lying': every 20 ms it claims to have read everything, read or not.
 */
export type Acks = 'none' | 'honest' | 'lying';

const ack = (syncs: number) => clientFrame(ClientOpcode.Text, Buffer.from(JSON.stringify({ type: 'ack', syncs })));

export class CheckedViewer {
  readonly checker: WsStreamChecker;
  /** what it was sent, through the shared interpreter; each sync is checked for order */
  private readonly model = new PictureModel<Buffer>(
    (p) => Buffer.from(p),
    (seq) => this.sync(seq),
  );
  lastSync = 0;
  syncs = 0;
  bytes = 0;
  /** the largest binary message it got, in bytes */
  largestMessage = 0;
  closed = false;

  private constructor(
    readonly socket: Socket,
    private readonly acks: Acks,
  ) {
    this.checker = new WsStreamChecker((opcode, payload) => this.onMessage(opcode, payload));
    const lies = acks === 'lying' ? setInterval(() => socket.write(ack(1e9)), 20) : null;
    socket.on('close', () => {
      this.closed = true;
      if (lies) clearInterval(lies);
    });
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
    this.largestMessage = Math.max(this.largestMessage, payload.byteLength);
    if (payload[0] !== PROTOCOL_VERSION)
      return this.checker.reject(`message starts with version ${payload[0]}`, payload);
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
    if (this.acks === 'honest' && !this.socket.destroyed) this.socket.write(ack(this.syncs));
  }

  static async open(port: number, path: string, acks: Acks = 'none'): Promise<CheckedViewer> {
    const { socket, rest } = await rawUpgrade(port, path);
    const viewer = new CheckedViewer(socket, acks);
    const feed = (c: Buffer) => {
      viewer.bytes += c.length;
      viewer.checker.write(c);
    };
    if (rest.length) feed(rest);
    socket.on('data', feed);
    return viewer;
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
