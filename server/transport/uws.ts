// uWebSockets.js engine: WebSockets and HTTP on one port. Message buffers die with their callback (the app
// copies what it keeps); limits are set explicitly because the C++ defaults (16 KiB payload, 64 KiB
// backpressure) are far too small for screen tiles.
import uWS from 'uWebSockets.js';
import { SHUTTING_DOWN, handshakeRefusal, headRefusal, wantsUpgrade } from './handshake';
import { bodyLength, closeReason, errorResponse, isFileBody, statusLine } from './http-status';
import { BodyTooLargeError, InternalError } from '../errors';
import { RegionReader } from './file-region';
import {
  type Connection,
  type FileRegion,
  type HttpRequest,
  type HttpResponse,
  type Transport,
  type TransportOptions,
  type UpgradeRequest,
  MAX_WS_FRAME_HEADER_BYTES,
} from './types';

interface UserData<Ctx> {
  context: Ctx;
  conn?: UwsConnection<Ctx>;
}

/**
 * How messages of 16 KiB or more are sent, around a bug in the uWebSockets this uWS.js 20.30 build carries.
 * uWS writes such a message straight to the kernel (header + payload in one writev) when nothing is buffered
 * or corked; if the kernel then takes only the frame header (or nothing: a full send buffer), the payload is
 * never put into the backpressure buffer, so the next frame becomes this one's payload and the viewer's stream
 * is corrupt. Fixed upstream on 2023-09-24 (uNetworking/uWebSockets#1662, commit 143db30), but no registry
 * build with the fix loads on this glibc. test/hardening/large-send.test.ts makes that moment on purpose.
 * - 'fragment': a message larger than the cork buffer goes as WebSocket fragments that each fit it
 *   (the peer still gets one message). A send that fits the cork buffer never takes the direct path and never
 *   grows the socket's own buffer (see CORK_BUFFER_BYTES), so a viewer that keeps up costs no send buffer at all,
 *   whatever the message sizes. It costs a frame header and a write per ~16 KiB, and saves the copy into the
 *   socket's buffer and that buffer's growth: measured against 'subscribe' (quick bench, same load, 2 runs each)
 *   CPU per GB at 200 viewers 0.55-0.56 against 0.69-0.72, RSS from the idle server +22 MB against +44 MB there,
 *   +12 against +69 MB at 1000 viewers, +45-50 against +75-79 MB at the memory stress.
 * - 'subscribe': every socket subscribes to a topic nothing publishes to; uWS never takes the direct path for a
 *   subscriber, so large sends go through its ordinary buffered path: one memcpy of each large message into the
 *   socket's buffer (exactly what uWS's own publish does for every subscriber), which this build never shrinks.
 * - 'guarded': zero copy while a socket keeps up; its first send that meets backpressure moves it to the buffered
 *   path for good, and if that very send lost its payload (the kernel took at most the header) the connection is
 *   cut without a close frame: the viewer sees a dropped connection (1006) and reconnects, never a corrupt
 *   message. Measured: a viewer that stalls from the start often meets its first backpressure exactly then (a
 *   kernel buffer full to the byte), so slow viewers get cut and reconnect; cheaper for fast ones only.
 * - 'settled' (default): as 'fragment', but a message to a settled peer (Connection.sendSettled: it acknowledged
 *   reading everything sent before, so the kernel holds nothing for it) goes in one piece on the direct path: the
 *   kernel's buffer is empty, so it takes more than the header and the bug cannot strike. Should it strike anyway
 *   (a peer that acks what it never read), the connection is cut as in 'guarded'. One write per message, as the
 *   engine's own publish makes, where fragments make one per ~16 KiB.
 * - 'direct': the engine as is; corrupts streams under backpressure. Only for the bench's cost comparison.
 */
export type UwsLargeSend = 'settled' | 'guarded' | 'subscribe' | 'fragment' | 'direct';

/** a topic no one publishes to: subscribing takes a socket off the direct-write path */
const NEVER_PUBLISHED = 'tilecast/no-direct-write';
/** uWS's direct-write threshold (WebSocket.h: message.length() >= 16 * 1024) */
const DIRECT_WRITE_BYTES = 16 * 1024;
/**
 * uWS's loop-wide cork buffer (LoopData::CORK_BUFFER_SIZE). A send that fits what is left of it is written from
 * there; one that does not is copied, with the cork buffer's contents, into the socket's own send buffer, which
 * this build never shrinks (BackPressure::clear keeps the std::string's capacity). The fan-out keeps every cork
 * and every message under this, less room for frame headers, so a viewer that keeps up costs no buffer at all.
 */
const CORK_BUFFER_BYTES = 16 * 1024;

interface FragmentSends {
  sendFirstFragment(message: Uint8Array, isBinary: boolean): number;
  sendFragment(message: Uint8Array): number;
  sendLastFragment(message: Uint8Array): number;
}

/**
 * The fragments of the message sent last: the fan-out sends one shared message to many viewers in a row, so their
 * views are made once per message, not once per viewer.
 */
let fragmented: { message: Uint8Array; size: number; pieces: Uint8Array[] } | null = null;

function fragmentsOf(message: Uint8Array, size: number): Uint8Array[] {
  if (fragmented?.message === message && fragmented.size === size) return fragmented.pieces;
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < message.byteLength; at += size) pieces.push(message.subarray(at, at + size));
  fragmented = { message, size, pieces };
  return pieces;
}

class UwsConnection<Ctx> implements Connection<Ctx> {
  open = true;
  /** leaves room for the frame headers uWS writes into the cork buffer with each message */
  readonly corkBytes = CORK_BUFFER_BYTES - 256;
  /**
   * True while every send since the buffer was last seen empty went out whole (send() returned 1): then nothing
   * is buffered and bufferedAmount() needs no call into C++ — one native call saved per viewer and frame.
   */
  private empty = true;
  /** on uWS's buffered path for large messages (see UwsLargeSend) */
  private buffered: boolean;
  /** large messages go as fragments that fit the cork buffer (see UwsLargeSend 'fragment') */
  private readonly fragments: boolean;
  constructor(
    private readonly ws: uWS.WebSocket<UserData<Ctx>>,
    readonly context: Ctx,
    private readonly largeSend: UwsLargeSend,
    readonly partBytes: number,
  ) {
    this.buffered = largeSend === 'subscribe';
    if (this.buffered) ws.subscribe(NEVER_PUBLISHED);
    this.fragments = largeSend === 'fragment' || largeSend === 'settled';
  }

  /** See Connection.sendSettled and UwsLargeSend 'settled'. Call it outside any cork (uWS's direct path needs that). */
  sendSettled(data: Uint8Array): boolean {
    if (
      this.largeSend !== 'settled' ||
      data.byteLength < DIRECT_WRITE_BYTES ||
      this.bufferedAmount() !== 0 ||
      !this.open
    )
      return this.send(data);
    const status = this.ws.send(data, true);
    if (status === 1) return true;
    this.empty = false;
    return !this.cutIfPayloadLost(status) && status !== 2;
  }

  /** Returns false when the message was not sent: the engine dropped it (over maxBackpressure), or the socket was cut. */
  send(data: Uint8Array | string, binary = true): boolean {
    if (!this.open) return false;
    if (this.fragments && typeof data !== 'string' && data.byteLength > this.corkBytes)
      return this.sendFragments(data, binary);
    if (
      this.largeSend === 'guarded' &&
      !this.buffered &&
      typeof data !== 'string' &&
      data.byteLength >= DIRECT_WRITE_BYTES
    )
      return this.sendGuarded(data, binary);
    const status = this.ws.send(data, binary);
    if (status !== 1) this.empty = false;
    return status !== 2;
  }

  /**
   * One message as fragments that each fit the cork buffer (see UwsLargeSend 'fragment'). All of them go out now:
   * nothing else may be sent between them. The engine drops a fragment only past maxBackpressure, which sits far
   * above the fan-out's high-water mark; if it ever does after the first, the message is broken and the
   * connection is cut.
   */
  private sendFragments(data: Uint8Array, binary: boolean): boolean {
    const pieces = fragmentsOf(data, this.corkBytes);
    // The typings say boolean; the binding returns the same status as send (1 sent, 0 buffered, 2 dropped).
    const ws = this.ws as unknown as FragmentSends;
    let status = ws.sendFirstFragment(pieces[0], binary);
    if (status === 2) return false;
    for (let i = 1; i < pieces.length; i++) {
      if (status !== 1) this.empty = false;
      status = i === pieces.length - 1 ? ws.sendLastFragment(pieces[i]) : ws.sendFragment(pieces[i]);
      if (status === 2) {
        this.open = false;
        this.ws.close();
        return false;
      }
    }
    if (status !== 1) this.empty = false;
    return true;
  }

  /** A large message on the direct path, watched for the lost-payload moment (see UwsLargeSend 'guarded'). */
  private sendGuarded(data: Uint8Array, binary: boolean): boolean {
    const direct = this.bufferedAmount() === 0;
    const status = this.ws.send(data, binary);
    if (status === 1) return true;
    this.empty = false;
    this.buffered = true;
    this.ws.subscribe(NEVER_PUBLISHED);
    if (direct && this.cutIfPayloadLost(status)) return false;
    return status !== 2;
  }

  /**
   * After a large message went the direct path and was not written whole: if at most its header is buffered, the
   * kernel took at most the header and the engine lost the payload. A close frame would itself become payload, so
   * the TCP connection is cut: the peer sees a dropped connection, never a corrupt message.
   */
  private cutIfPayloadLost(status: number): boolean {
    if (status !== 0 || this.ws.getBufferedAmount() > MAX_WS_FRAME_HEADER_BYTES) return false;
    this.open = false;
    this.ws.close();
    return true;
  }

  bufferedAmount(): number {
    if (!this.open || this.empty) return 0;
    const buffered = this.ws.getBufferedAmount();
    this.empty = buffered === 0;
    return buffered;
  }

  cork(fn: () => void): void {
    if (this.open) this.ws.cork(fn);
  }

  close(code: number, reason: string): void {
    if (!this.open) return;
    this.open = false;
    this.ws.end(code, closeReason(reason));
  }
}

function readHeaders(req: uWS.HttpRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  req.forEach((k, v) => (headers[k] = v));
  return headers;
}

const ip = (res: uWS.HttpResponse) => Buffer.from(res.getRemoteAddressAsText()).toString();

export function createUwsTransport<Ctx>(options: TransportOptions<Ctx>): Transport {
  const { sockets, limits } = options;
  const app = uWS.App();
  let listenSocket: uWS.us_listen_socket | null = null;

  let accepting = true;
  const live = new Set<uWS.WebSocket<UserData<Ctx>>>();

  // Two routes so each gets its own engine payload limit: viewers only ever send small control messages. uWS
  // matches the more specific static segment first, so /ws/view/* wins over /ws/*.
  const behavior = (maxPayloadLength: number): uWS.WebSocketBehavior<UserData<Ctx>> => ({
    compression: uWS.DISABLED,
    maxPayloadLength,
    maxBackpressure: limits.maxBackpressure,
    closeOnBackpressureLimit: 0,
    // uWS pings at this timeout and drops a socket that stays silent; the ws engine does the same by hand.
    idleTimeout: limits.idleTimeoutSeconds,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      const upgrade: UpgradeRequest = {
        path: req.getUrl(),
        query: new URLSearchParams(req.getQuery() ?? ''),
        headers: readHeaders(req),
        remoteAddress: ip(res),
      };
      const refused = accepting
        ? (headRefusal(upgrade.path, req.getQuery(), upgrade.headers, limits.maxHeaderBytes) ??
          handshakeRefusal(upgrade.headers))
        : SHUTTING_DOWN;
      const decision = refused ?? sockets.upgrade(upgrade);
      if (!decision.accept) {
        const extra = refused?.headers ?? {};
        res.cork(() => {
          res.writeStatus(statusLine(decision.status)).writeHeader('connection', 'close');
          for (const [k, v] of Object.entries(extra)) res.writeHeader(k, v);
          res.end(decision.message, true);
        });
        return;
      }
      res.upgrade<UserData<Ctx>>(
        { context: decision.context },
        upgrade.headers['sec-websocket-key'] ?? '',
        upgrade.headers['sec-websocket-protocol'] ?? '',
        upgrade.headers['sec-websocket-extensions'] ?? '',
        context,
      );
    },
    open: (ws) => {
      const data = ws.getUserData();
      data.conn = new UwsConnection(
        ws,
        data.context,
        options.uwsLargeSend ?? 'settled',
        options.uwsFramePartBytes ?? 64 * 1024,
      );
      live.add(ws);
      sockets.open(data.conn);
    },
    message: (ws, message, isBinary) => {
      const conn = ws.getUserData().conn!;
      if (conn.open) sockets.message(conn, new Uint8Array(message), isBinary);
    },
    drain: (ws) => {
      const conn = ws.getUserData().conn!;
      if (conn.open) sockets.drain(conn);
    },
    close: (ws, code, message) => {
      const conn = ws.getUserData().conn!;
      conn.open = false;
      live.delete(ws);
      sockets.close(conn, code, Buffer.from(message).toString());
    },
  });
  app.ws<UserData<Ctx>>(`${options.viewerPrefix}*`, behavior(limits.viewerMaxPayload));
  app.ws<UserData<Ctx>>(`${options.wsPrefix}*`, behavior(limits.engineMaxPayload));

  app.any('/*', (res, req) => {
    // uWS keeps one abort handler per response: everything that must react to an abort hangs off this one.
    const abort: Abort = { aborted: false, onAbort: null };
    const gone = new AbortController();
    res.onAborted(() => {
      abort.aborted = true;
      abort.onAbort?.();
      gone.abort();
    });
    const url = req.getUrl();
    const request: HttpRequest = {
      method: req.getMethod().toUpperCase(),
      path: url,
      query: new URLSearchParams(req.getQuery() ?? ''),
      headers: readHeaders(req),
      body: new Uint8Array(0),
      remoteAddress: ip(res),
      signal: gone.signal,
    };
    const refused =
      headRefusal(url, req.getQuery(), request.headers, limits.maxHeaderBytes) ??
      (wantsUpgrade(request.headers) ? handshakeRefusal(request.headers) : null);
    if (refused) {
      respond(
        res,
        {
          status: refused.status,
          headers: { connection: 'close', 'content-type': 'text/plain', ...refused.headers },
          body: refused.message,
        },
        abort,
      );
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    res.onData((chunk, isLast) => {
      if (abort.aborted || size < 0) return;
      size += chunk.byteLength;
      if (size > limits.maxHttpBodyBytes) {
        size = -1;
        respond(res, errorResponse(new BodyTooLargeError(limits.maxHttpBodyBytes)), abort);
        return;
      }
      chunks.push(Buffer.from(chunk.slice(0))); // copy: the chunk dies with this callback
      if (!isLast) return;
      request.body = Buffer.concat(chunks);
      options
        .http(request)
        .catch(() => errorResponse(new InternalError()))
        .then((response) => respond(res, response, abort));
    });
  });

  return {
    engine: 'uws',
    listen: (host, port) =>
      new Promise((resolve, reject) => {
        app.listen(host, port, (socket) => {
          if (!socket) return reject(new Error(`cannot listen on ${host}:${port} (port in use?)`));
          listenSocket = socket;
          resolve(uWS.us_socket_local_port(socket));
        });
      }),
    stopAccepting: () => {
      accepting = false;
    },
    connections: () => live.size,
    close: async () => {
      if (listenSocket) uWS.us_listen_socket_close(listenSocket);
      listenSocket = null;
      for (const ws of [...live]) ws.close(); // cut what the drain left (close() is a hard close, no handshake)
    },
  };
}

function writeHead(res: uWS.HttpResponse, response: HttpResponse): void {
  res.writeStatus(statusLine(response.status));
  for (const [k, v] of Object.entries(response.headers ?? {})) res.writeHeader(k, v);
}

interface Abort {
  aborted: boolean;
  onAbort: (() => void) | null;
}

/** uWS stalls on very large tryEnd chunks (seen with 1 MiB); file chunks are handed over in pieces of this size. */
const PIECE_BYTES = 256 * 1024;

function respond(res: uWS.HttpResponse, response: HttpResponse, abort: Abort): void {
  if (abort.aborted) return;
  const body = response.body;
  if (response.headOnly) {
    // endWithoutBody(length) hangs the connection in this uWS build; a Content-Length header of our own works.
    res.cork(() => {
      writeHead(res, response);
      res.writeHeader('content-length', String(bodyLength(body)));
      res.endWithoutBody();
    });
    return;
  }
  if (!isFileBody(body)) {
    res.cork(() => {
      writeHead(res, response);
      res.end(body ?? '');
    });
    return;
  }
  if (body.file) return sendRegion(res, response, body.file, body.length, abort);
  // Stream a file with backpressure (uWS VideoStreamer pattern): tryEnd until the socket is full, then wait for
  // onWritable and retry from the offset it reports. Chunks come from fs and are handed over, never concatenated.
  const stream = body.stream!();
  const total = body.length;
  res.cork(() => writeHead(res, response));
  if (total === 0) {
    res.cork(() => res.end());
    stream.destroy();
    return;
  }
  abort.onAbort = () => stream.destroy();
  let pending: Buffer = Buffer.alloc(0);
  /** write offset where the piece being sent starts */
  let pieceStart = 0;
  let finished = false;

  /** Sends `pending` piece by piece; false when the socket is full (onWritable resumes) or the body is done. */
  const sendPending = (): boolean => {
    while (pending.length > 0) {
      const piece = pending.subarray(0, PIECE_BYTES);
      pieceStart = res.getWriteOffset();
      let ok = false;
      res.cork(() => ([ok, finished] = res.tryEnd(piece, total)));
      if (finished) {
        stream.destroy();
        return false;
      }
      if (!ok) return false;
      pending = pending.subarray(piece.length);
    }
    return true;
  };

  res.onWritable((offset) => {
    if (abort.aborted || finished) return true;
    pending = pending.subarray(offset - pieceStart);
    const ok = sendPending();
    if (ok) stream.resume();
    return ok || finished;
  });
  stream.on('error', () => {
    if (!abort.aborted && !finished) res.close();
  });
  stream.on('data', (chunk: Buffer | string) => {
    if (abort.aborted) return stream.destroy();
    pending = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (!sendPending() && !finished) stream.pause();
  });
}

/**
 * A file region through one reused buffer: read a chunk, tryEnd it; when the socket is full, onWritable sends the
 * rest of the same chunk, and only then is the next one read into the buffer (tryEnd does not keep what it could
 * not send, so the buffer is free once the chunk went out).
 */
function sendRegion(
  res: uWS.HttpResponse,
  response: HttpResponse,
  region: FileRegion,
  total: number,
  abort: Abort,
): void {
  res.cork(() => writeHead(res, response));
  if (total === 0) {
    res.cork(() => res.end());
    return;
  }
  let chunk: Buffer | null = null;
  /** write offset where `chunk` starts */
  let chunkStart = 0;
  let done = false;
  let wake: (() => void) | null = null;
  abort.onAbort = () => wake?.();

  res.onWritable((offset) => {
    if (abort.aborted || done || !chunk) return true;
    let ok = false;
    [ok, done] = res.tryEnd(chunk.subarray(offset - chunkStart), total);
    if (ok || done) wake?.();
    return ok || done;
  });

  void (async () => {
    let reader: RegionReader | null = null;
    try {
      reader = await RegionReader.open(region, total);
      while (!abort.aborted && !done) {
        chunk = null; // while the buffer is refilled, onWritable has nothing to send
        const next = await reader.next();
        if (abort.aborted) return;
        if (!next) throw new Error('file region ended early');
        chunk = next;
        chunkStart = res.getWriteOffset();
        let ok = false;
        res.cork(() => ([ok, done] = res.tryEnd(chunk!, total)));
        if (!ok && !done) await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } catch {
      if (!abort.aborted && !done) res.close();
    } finally {
      chunk = null;
      await reader?.close();
    }
  })();
}
