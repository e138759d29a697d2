// A test client over `ws` that decodes everything it receives and keeps the picture it was sent.
import WebSocket from 'ws';
import {
  type Message,
  MessageType,
  PictureModel,
  type ServerControl,
  decodeMessage,
  parseServerControl,
} from '../../shared/protocol';
import { sleep, waitFor } from './server';

export interface Closed {
  code: number;
  reason: string;
}

export class TestClient {
  readonly ws: WebSocket;
  readonly messages: Message[] = [];
  readonly control: ServerControl[] = [];
  /** the picture this client was sent, through the shared interpreter (shared/protocol/picture-model.ts) */
  readonly model = new PictureModel<Buffer>((p) => Buffer.from(p));
  closed: Closed | null = null;
  opened: Promise<void>;
  decodeErrors: string[] = [];

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.ws.on('error', () => {});
    this.ws.on('message', (data: Buffer, binary: boolean) => {
      if (!binary) return void this.control.push(parseServerControl(data.toString()));
      try {
        const msg = decodeMessage(new Uint8Array(data));
        this.messages.push(msg);
        this.model.apply(msg);
      } catch (err) {
        this.decodeErrors.push(String(err));
      }
    });
    this.ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  /** tile index key "col,row" -> payload as last received */
  get picture(): Map<string, Buffer> {
    return this.model.picture;
  }

  /** the picture as of the last sync */
  get synced(): Map<string, Buffer> {
    return this.model.synced;
  }

  get syncs(): number[] {
    return this.model.syncs;
  }

  /** tiles the server says it skipped for us, summed over every sync of this connection */
  get skipped(): number {
    return this.model.skipped;
  }

  of<T extends Message['type']>(type: T): Extract<Message, { type: T }>[] {
    return this.messages.filter((m): m is Extract<Message, { type: T }> => m.type === type);
  }

  /** tiles received, whether one message each or batched in Frame messages */
  tilesReceived(): number {
    let n = 0;
    for (const m of this.messages)
      n += m.type === MessageType.Tile ? 1 : m.type === MessageType.Frame ? m.tiles.length : 0;
    return n;
  }

  lastStatus() {
    const s = this.of(MessageType.Status);
    return s[s.length - 1];
  }

  send(data: Uint8Array | string): void {
    this.ws.send(data);
  }

  waitClosed(timeoutMs = 5000): Promise<Closed> {
    return waitFor('close', () => this.closed, timeoutMs);
  }

  async waitSync(seq: number, timeoutMs = 5000): Promise<number> {
    try {
      return await waitFor(`sync ${seq}`, () => this.syncs.includes(seq) && seq, timeoutMs);
    } catch (err) {
      // What the client had come to tells a slow server from a cut or a broken stream.
      const state = this.closed ? `closed ${this.closed.code} ${this.closed.reason}` : 'open';
      throw new Error(
        `${(err as Error).message}: last sync ${this.syncs.at(-1) ?? 'none'}, ${this.messages.length} messages, ${state}, decode errors ${JSON.stringify(this.decodeErrors)}`,
      );
    }
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    await sleep(0);
  }

  terminate(): void {
    this.ws.terminate();
  }

  /** Acks every sync as it arrives, alone or inside a Frame (with the next message, any not acked yet). */
  ackAlong(): void {
    let acked = 0;
    this.ws.on('message', () => {
      if (this.syncs.length > acked) this.send(JSON.stringify({ type: 'ack', syncs: (acked = this.syncs.length) }));
    });
  }
}

export async function connect(url: string, options?: WebSocket.ClientOptions): Promise<TestClient> {
  const c = new TestClient(url, options);
  await c.opened;
  return c;
}
