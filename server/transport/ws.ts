// ws engine: node:http for HTTP, ws for WebSockets (noServer, so the app decides upgrades). ws has no drain
// event, so each send carries a flush callback; when the buffered amount falls under the low-water mark after the
// app saw bytes buffered, the app's drain handler runs, as uWS's does after backpressure.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WebSocket, WebSocketServer } from 'ws';
import { SHUTTING_DOWN, handshakeRefusal } from './handshake';
import { bodyLength, closeReason, errorResponse, isFileBody, statusLine } from './http-status';
import { BodyTooLargeError, InternalError } from '../errors';
import { RegionReader } from './file-region';
import { writeBinary } from './ws-wire';
import type { Connection, FileRegion, HttpResponse, Transport, TransportOptions } from './types';

class WsConnection<Ctx> implements Connection<Ctx> {
  open = true;
  /** something arrived (message or pong) since the last heartbeat sweep */
  alive = true;
  private drainQueued = false;
  /**
   * The app saw bytes buffered since its last drain, so it may be holding this connection back: write completions
   * wake it. A viewer that keeps up sees 0 before every send and costs no drain (no microtask, no cork) per send.
   */
  private pressured = false;
  private readonly onFlushed: (err?: Error | null) => void;

  constructor(
    private readonly ws: WebSocket,
    readonly context: Ctx,
    lowWater: number,
    onDrain: (conn: WsConnection<Ctx>) => void,
    private readonly onClose: (conn: WsConnection<Ctx>, code: number, reason: string) => void,
    private readonly closeHandshakeMs: number,
  ) {
    // One callback per connection, reused for every send: no per-message closure on the hot path.
    this.onFlushed = () => {
      if (!this.open || !this.pressured || this.drainQueued || this.ws.bufferedAmount >= lowWater) return;
      this.pressured = false;
      this.drainQueued = true;
      queueMicrotask(() => {
        this.drainQueued = false;
        if (this.open) onDrain(this);
      });
    };
  }

  /** ws's underlying net.Socket (not public API): sends write to it directly, and cork() corks it */
  private get socket(): Duplex | undefined {
    return (this.ws as unknown as { _socket?: Duplex })._socket;
  }

  send(data: Uint8Array | string, binary = true): boolean {
    if (!this.open || this.ws.readyState !== WebSocket.OPEN) return false;
    const socket = this.socket;
    // Straight to the socket, in order with ws's own frames (pings, closes): without permessage-deflate (off on
    // both servers) and Blobs (never sent) ws's sender never queues, it writes each frame at once.
    if (binary && typeof data !== 'string' && socket) writeBinary(socket, data, this.onFlushed);
    else this.ws.send(data, { binary }, this.onFlushed);
    return true;
  }

  bufferedAmount(): number {
    if (!this.open) return 0;
    const buffered = this.ws.bufferedAmount;
    if (buffered > 0) this.pressured = true;
    return buffered;
  }

  cork(fn: () => void): void {
    // ws has no public cork; the underlying net.Socket does, and batches the writes into one writev.
    const socket = this.socket;
    socket?.cork();
    try {
      fn();
    } finally {
      socket?.uncork();
    }
  }

  close(code: number, reason: string): void {
    if (!this.open) return;
    this.ws.close(code, closeReason(reason));
    // A peer that never answers the close handshake (a stalled reader) must not hold the socket forever.
    setTimeout(() => this.ws.terminate(), this.closeHandshakeMs).unref();
    // As uWS's end() does: the app hears of the close now, not when a stalled peer finally answers it.
    this.closed(code, reason);
  }

  /** Marks the connection closed and tells the app, once. */
  closed(code: number, reason: string): void {
    if (!this.open) return;
    this.open = false;
    this.onClose(this, code, reason);
  }
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
  return headers;
}

function splitUrl(url: string | undefined): { path: string; query: URLSearchParams } {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return { path: q < 0 ? raw : raw.slice(0, q), query: new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)) };
}

async function writeResponse(res: ServerResponse, response: HttpResponse): Promise<void> {
  const body = response.body;
  // Explicit length: node:http would otherwise send chunked after writeHead (uWS sets it on its own).
  res.writeHead(response.status, { 'content-length': String(bodyLength(body)), ...response.headers });
  if (response.headOnly) res.end();
  else if (isFileBody(body) && body.file) await sendRegion(res, body.file, body.length);
  else if (isFileBody(body)) await pipeline(body.stream!(), res).catch(() => res.destroy());
  else res.end(body ?? '');
}

/** A file region through one reused buffer: each chunk is read only after the socket took the previous one. */
async function sendRegion(res: ServerResponse, region: FileRegion, length: number): Promise<void> {
  let reader: RegionReader | null = null;
  let gone: (() => void) | null = null;
  const closed = new Promise<void>((resolve) => (gone = resolve));
  res.once('close', () => gone!());
  try {
    reader = await RegionReader.open(region, length);
    for (let chunk = await reader.next(); chunk; chunk = await reader.next()) {
      if (res.destroyed) return;
      const written = new Promise<void>((resolve, reject) =>
        res.write(chunk, (err) => (err ? reject(err) : resolve())),
      );
      // A client that goes away mid-write may leave the callback pending: stop on close as well.
      if ((await Promise.race([written.then(() => true), closed.then(() => false)])) === false) return;
    }
    res.end();
  } catch {
    res.destroy();
  } finally {
    await reader?.close();
  }
}

export function createWsTransport<Ctx>(options: TransportOptions<Ctx>): Transport {
  const { sockets, limits } = options;
  // One WebSocketServer per payload limit: viewers only ever send small control messages.
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.engineMaxPayload, perMessageDeflate: false });
  const viewerWss = new WebSocketServer({
    noServer: true,
    maxPayload: limits.viewerMaxPayload,
    perMessageDeflate: false,
  });
  const lowWater = Math.floor(limits.maxBackpressure / 8);
  const live = new Map<WsConnection<Ctx>, WebSocket>();
  let accepting = true;

  // Heartbeat as uWS does it: every idleTimeout/2 a socket that sent nothing since the last sweep is dropped,
  // the others are pinged. A silent peer goes between idleTimeout/2 and idleTimeout after its last byte.
  const heartbeat = setInterval(
    () => {
      for (const [conn, ws] of live) {
        if (!conn.alive) {
          ws.terminate();
          continue;
        }
        conn.alive = false;
        ws.ping();
      }
    },
    (limits.idleTimeoutSeconds * 1000) / 2,
  );
  heartbeat.unref();

  // node:http checks headersTimeout only every connectionsCheckingInterval (30 s by default): that is why a
  // trickling client was kept ~90 s. requestTimeout bounds the whole request (body included).
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: Math.max(30_000, limits.headersTimeoutMs),
      connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs / 2),
    },
    (req, res) => {
      const gone = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) gone.abort();
      });
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxHttpBodyBytes) {
          void writeResponse(res, errorResponse(new BodyTooLargeError(limits.maxHttpBodyBytes)));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => {
        const { path, query } = splitUrl(req.url);
        options
          .http({
            method: (req.method ?? 'GET').toUpperCase(),
            path,
            query,
            headers: flatHeaders(req),
            body: Buffer.concat(chunks),
            remoteAddress: req.socket.remoteAddress ?? '',
            signal: gone.signal,
          })
          .catch(() => errorResponse(new InternalError()))
          .then((response) => writeResponse(res, response));
      });
    },
  );

  server.on('upgrade', (req, socket, head) => {
    const { path, query } = splitUrl(req.url);
    const refuse = (status: number, message: string, extra: Record<string, string> = {}) => {
      const headers = Object.entries(extra)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      socket.end(
        `HTTP/1.1 ${statusLine(status)}\r\nConnection: close\r\n${headers}Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
      );
    };
    if (!accepting) return refuse(SHUTTING_DOWN.status, SHUTTING_DOWN.message);
    const bad = handshakeRefusal(flatHeaders(req));
    if (bad) return refuse(bad.status, bad.message, bad.headers);
    if (!path.startsWith(options.wsPrefix)) return refuse(404, 'no WebSocket endpoint here');
    const decision = sockets.upgrade({
      path,
      query,
      headers: flatHeaders(req),
      remoteAddress: req.socket.remoteAddress ?? '',
    });
    if (!decision.accept) return refuse(decision.status, decision.message);
    (path.startsWith(options.viewerPrefix) ? viewerWss : wss).handleUpgrade(req, socket, head, (ws) => {
      const conn = new WsConnection(
        ws,
        decision.context,
        lowWater,
        (c) => sockets.drain(c),
        (c, code, reason) => sockets.close(c, code, reason),
        limits.closeHandshakeMs,
      );
      live.set(conn, ws);
      ws.on('pong', () => (conn.alive = true));
      ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
        conn.alive = true;
        if (!conn.open) return;
        const bytes = Array.isArray(data)
          ? Buffer.concat(data)
          : data instanceof ArrayBuffer
            ? new Uint8Array(data)
            : data;
        sockets.message(conn, bytes, isBinary);
      });
      ws.on('close', (code: number, reason: Buffer) => {
        live.delete(conn); // counted until the TCP connection is gone: the shutdown drain waits for it
        conn.closed(code, reason.toString());
      });
      ws.on('error', () => ws.terminate());
      sockets.open(conn);
    });
  });

  return {
    engine: 'ws',
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          const addr = server.address();
          resolve(typeof addr === 'object' && addr ? addr.port : port);
        });
      }),
    stopAccepting: () => {
      accepting = false;
    },
    connections: () => live.size,
    close: () =>
      new Promise((resolve) => {
        clearInterval(heartbeat);
        for (const ws of live.values()) ws.terminate();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
