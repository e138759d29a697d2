// A minimal WebSocket client on net.Socket for the load generator: one shared read buffer for every socket,
// real TCP backpressure through pause()/resume() (the kernel stops reading, the server's sends back up).
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Opcode, wsHeaderBytes, writeWsHeader } from '../../shared/ws-frame-header';
import { type FrameSink, FrameReader } from './frame-reader';

/** Read synchronously by each socket's callback, so every socket can share it. */
const SHARED_READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export interface RawHandlers {
  open(): void;
  message(opcode: number, head: Uint8Array, length: number): void;
  closed(code: number, reason: string, error?: Error): void;
  /** every chunk read from the kernel, before parsing (bandwidth caps hook in here) */
  bytes?(n: number): void;
}

export interface ConnectOptions {
  url: string;
  timeoutMs?: number;
  /** binary message types (byte 1) to deliver whole instead of as their first bytes */
  keepWhole?: ReadonlySet<number>;
}

export class RawWebSocket {
  readonly socket: net.Socket;
  private readonly reader: FrameReader;
  private handshake: Buffer | null = Buffer.alloc(0);
  private done = false;
  open = false;
  bytesRead = 0;

  constructor(
    private readonly options: ConnectOptions,
    private readonly handlers: RawHandlers,
  ) {
    const url = new URL(options.url);
    const port = Number(url.port || (url.protocol === 'wss:' ? 443 : 80));
    if (url.protocol !== 'ws:')
      throw new Error(`only ws:// URLs are supported by the load generator, got ${url.protocol}`);
    const sink: FrameSink = {
      message: (op, head, len) => handlers.message(op, head, len),
      control: (op, payload) => this.onControl(op, payload),
      protocolError: (message) => this.finish(1002, message, new Error(message)),
    };
    this.reader = new FrameReader(sink, options.keepWhole);
    this.socket = net.connect({
      host: url.hostname,
      port,
      noDelay: true,
      onread: { buffer: SHARED_READ_BUFFER, callback: (n: number, buf: Uint8Array) => this.onRead(n, buf) },
    });
    const timer = setTimeout(
      () =>
        this.finish(
          1006,
          'timeout',
          new Error(`no WebSocket handshake from ${url.host} within ${options.timeoutMs ?? 10_000} ms`),
        ),
      options.timeoutMs ?? 10_000,
    );
    this.socket.once('connect', () => {
      const key = randomBytes(16).toString('base64');
      this.socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.socket.on('error', (err) => {
      clearTimeout(timer);
      this.finish(1006, err.message, describeSocketError(err, url));
    });
    this.socket.on('close', () => {
      clearTimeout(timer);
      this.finish(1006, 'connection closed without a close frame');
    });
    this.openTimer = timer;
  }

  private openTimer: NodeJS.Timeout;

  private onRead(n: number, buf: Uint8Array): boolean {
    this.bytesRead += n;
    this.handlers.bytes?.(n);
    if (this.handshake) {
      this.handshake = Buffer.concat([this.handshake, buf.subarray(0, n)]);
      const end = this.handshake.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.handshake.length > 16_384)
          this.finish(1002, 'oversized handshake response', new Error('oversized handshake'));
        return true;
      }
      const head = this.handshake.subarray(0, end).toString('latin1');
      const rest = this.handshake.subarray(end + 4);
      this.handshake = null;
      const status = head.split('\r\n', 1)[0];
      if (!/^HTTP\/1\.1 101/.test(status)) {
        const error = new Error(`WebSocket upgrade refused: ${status} ${rest.toString('utf8').slice(0, 200)}`.trim());
        this.finish(1006, status, error);
        return false;
      }
      clearTimeout(this.openTimer);
      this.open = true;
      this.handlers.open();
      if (rest.length) this.reader.push(rest);
      return true;
    }
    this.reader.push(buf, 0, n);
    return true;
  }

  private onControl(opcode: number, payload: Uint8Array): void {
    if (opcode === Opcode.Ping) this.writeFrame(Opcode.Pong, payload);
    else if (opcode === Opcode.Close) {
      const code = payload.length >= 2 ? (payload[0] << 8) | payload[1] : 1005;
      const reason = Buffer.from(payload.subarray(2)).toString('utf8');
      if (!this.done) this.writeFrame(Opcode.Close, payload.subarray(0, 2));
      this.finish(code, reason);
    }
  }

  private writeFrame(opcode: number, payload: Uint8Array): void {
    if (this.socket.destroyed || !this.open) return;
    const len = payload.byteLength;
    if (len < 126) {
      // acks and heartbeats, one per sync and viewer: one buffer and one write
      const frame = Buffer.allocUnsafe(wsHeaderBytes(len, true) + len);
      frame.set(payload, writeWsHeader(frame, opcode, len, true));
      this.socket.write(frame);
      return;
    }
    const header = Buffer.allocUnsafe(wsHeaderBytes(len, true));
    writeWsHeader(header, opcode, len, true);
    this.socket.cork();
    this.socket.write(header);
    if (len) this.socket.write(payload);
    this.socket.uncork();
  }

  send(data: Uint8Array | string): void {
    if (typeof data === 'string') this.writeFrame(Opcode.Text, Buffer.from(data, 'utf8'));
    else this.writeFrame(Opcode.Binary, data);
  }

  /** An unsolicited pong: a heartbeat that resets server idle timers and asks for no reply. */
  heartbeat(): void {
    this.writeFrame(Opcode.Pong, new Uint8Array(0));
  }

  /** Bytes queued in user space because the server is not reading fast enough. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(code = 1000): void {
    if (this.open && !this.done) {
      const p = Buffer.alloc(2);
      p.writeUInt16BE(code);
      this.writeFrame(Opcode.Close, p);
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else this.socket.destroy();
  }

  /** Drop the TCP connection without a close frame (a presenter losing its network). */
  destroy(): void {
    this.socket.destroy();
  }

  private finish(code: number, reason: string, error?: Error): void {
    if (this.done) return;
    this.done = true;
    this.open = false;
    clearTimeout(this.openTimer);
    this.socket.destroy();
    this.handlers.closed(code, reason, error);
  }
}

function describeSocketError(err: NodeJS.ErrnoException, url: URL): Error {
  if (err.code === 'ECONNREFUSED')
    return new Error(`cannot reach ${url.host}: connection refused (is the server running?)`);
  if (err.code === 'ENOTFOUND') return new Error(`cannot resolve host ${url.hostname}`);
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'EMFILE')
    return new Error(`out of local sockets (${err.code}): lower --viewers or raise ulimit -n`);
  return err;
}
