// A test client over `ws` that decodes everything it receives and keeps the picture it was sent.
import WebSocket from 'ws';
import { FrameFlag, type Message, MessageType, type ServerControl, decodeMessage, parseServerControl } from '../../shared/protocol';
import { sleep, waitFor } from './server';

export interface Closed {
  code: number;
  reason: string;
}

export class TestClient {
  readonly ws: WebSocket;
  readonly messages: Message[] = [];
  readonly control: ServerControl[] = [];
  /** tile index key "col,row" -> payload as last received */
  readonly picture = new Map<string, Buffer>();
  /** the picture as of the last sync */
  synced = new Map<string, Buffer>();
  syncs: number[] = [];
  /** tiles the server says it skipped for us, as of the last sync */
  skipped = 0;
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
        if (msg.type === MessageType.Tile) this.picture.set(`${msg.col},${msg.row}`, Buffer.from(msg.payload));
        if (msg.type === MessageType.Frame) {
          for (const t of msg.tiles) this.picture.set(`${t.col},${t.row}`, Buffer.from(t.payload));
          if (msg.flags & FrameFlag.EndsWithSync) this.sync(msg.seq, 0);
        }
        if (msg.type === MessageType.Geometry) this.picture.clear();
        if (msg.type === MessageType.Sync) this.sync(msg.seq, msg.skipped);
      } catch (err) {
        this.decodeErrors.push(String(err));
      }
    });
    this.ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  private sync(seq: number, skipped: number): void {
    this.skipped = skipped;
    this.syncs.push(seq);
    this.synced = new Map(this.picture);
  }

  of<T extends Message['type']>(type: T): Extract<Message, { type: T }>[] {
    return this.messages.filter((m): m is Extract<Message, { type: T }> => m.type === type);
  }

  /** tiles received, whether one message each or batched in Frame messages */
  tilesReceived(): number {
    let n = 0;
    for (const m of this.messages) n += m.type === MessageType.Tile ? 1 : m.type === MessageType.Frame ? m.tiles.length : 0;
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

  waitSync(seq: number, timeoutMs = 5000): Promise<number> {
    return waitFor(`sync ${seq}`, () => this.syncs.includes(seq) && seq, timeoutMs);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    await sleep(0);
  }

  terminate(): void {
    this.ws.terminate();
  }
}

export async function connect(url: string, options?: WebSocket.ClientOptions): Promise<TestClient> {
  const c = new TestClient(url, options);
  await c.opened;
  return c;
}
