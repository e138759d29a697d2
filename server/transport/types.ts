// The small interface both engines (uWebSockets.js, ws) implement; everything above it is engine-agnostic.
import type { Readable } from 'node:stream';

/** What an upgrade request looks like to the app. */
export interface UpgradeRequest {
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  remoteAddress: string;
}

export type UpgradeDecision<Ctx> = { accept: true; context: Ctx } | { accept: false; status: number; message: string };

/** The longest WebSocket frame header a server writes (a 64-bit length; our messages get 2-4 bytes). */
export const MAX_WS_FRAME_HEADER_BYTES = 10;

export interface Connection<Ctx = unknown> {
  readonly context: Ctx;
  /** false once closed; sends after that are ignored */
  readonly open: boolean;
  /**
   * Sends one binary (or text) message. The engine copies the bytes into its socket buffer before it returns,
   * so the same buffer may be sent to many connections. Returns false when the message was dropped.
   */
  send(data: Uint8Array | string, binary?: boolean): boolean;
  /**
   * Optional: sends a binary message to a peer that has confirmed reading everything it was sent before (its acks),
   * so neither the engine nor the kernel holds anything for it: an engine may then hand the message to the kernel
   * in one piece. Same result as `send`, or false with the connection cut if that piece was lost.
   */
  sendSettled?(data: Uint8Array): boolean;
  /** bytes queued in user space and not yet handed to the kernel */
  bufferedAmount(): number;
  /** batches several sends into one syscall where the engine supports it */
  cork(fn: () => void): void;
  /**
   * Most bytes worth handing the engine in one cork (absent: no limit): uWS copies what overflows its 16 KiB cork
   * buffer into the socket's own send buffer, which it keeps at that size for the socket's life. Joiners'
   * keyframes are cut into parts of this size, so an idle viewer costs no such buffer.
   */
  readonly corkBytes?: number;
  /**
   * Largest Frame message a live frame is cut into (absent: no limit, one message per frame). On uWS this bounds
   * how far past the high-water mark a held viewer's buffer grows (and, without fragments, what a viewer that
   * keeps up costs).
   */
  readonly partBytes?: number;
  close(code: number, reason: string): void;
}

export interface SocketHandlers<Ctx> {
  upgrade(req: UpgradeRequest): UpgradeDecision<Ctx>;
  open(conn: Connection<Ctx>): void;
  /** `data` is valid only during this call: copy what you keep */
  message(conn: Connection<Ctx>, data: Uint8Array, binary: boolean): void;
  /** the connection's buffered amount went down: the sender may continue */
  drain(conn: Connection<Ctx>): void;
  close(conn: Connection<Ctx>, code: number, reason: string): void;
}

export interface HttpRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  body: Uint8Array;
  remoteAddress: string;
  /** aborted when the client goes away before the answer is sent: long work (images) stops */
  signal?: AbortSignal;
}

/** A region of a file on disk. */
export interface FileRegion {
  path: string;
  start: number;
  /** refuse to open it through a symbolic link (O_NOFOLLOW) */
  noFollow?: boolean;
}

/**
 * A body streamed to the client by the engine, with backpressure, never loaded whole into memory: either a file
 * region (read through one reused buffer per response) or any Readable.
 */
export type FileBody = { length: number } & (
  | { file: FileRegion; stream?: undefined }
  | { stream: () => Readable; file?: undefined }
);

export interface HttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array | FileBody;
  /** answer to HEAD: headers (with the body's Content-Length) but no body; a FileBody's stream is never opened */
  headOnly?: boolean;
}

export type HttpHandler = (req: HttpRequest) => Promise<HttpResponse>;

export interface TransportLimits {
  /** the engine's own hard limit; the app enforces a smaller one itself (1009 + reason) */
  engineMaxPayload: number;
  /** engine limit on sockets under `viewerPrefix`: viewers only send small control messages (ws: 1009, uWS: cut) */
  viewerMaxPayload: number;
  /** uWS maxBackpressure: set above the app's high-water mark so sends are never dropped */
  maxBackpressure: number;
  /** a socket that sends nothing (not even a pong) this long is dropped; both engines ping before that */
  idleTimeoutSeconds: number;
  maxHttpBodyBytes: number;
  /** ws engine: a peer that never answers a close frame is cut after this */
  closeHandshakeMs: number;
  /** time to receive a request head (ws engine; uWS has its own fixed 10 s) */
  headersTimeoutMs: number;
  /** request line + headers above this get 431 */
  maxHeaderBytes: number;
}

export interface Transport {
  readonly engine: 'uws' | 'ws';
  /** resolves with the bound port (useful with port 0) */
  listen(host: string, port: number): Promise<number>;
  /** refuses new upgrades with 503 from now on (shutdown) */
  stopAccepting(): void;
  /** open WebSocket connections */
  connections(): number;
  /** stops listening and cuts every connection still open */
  close(): Promise<void>;
}

export interface TransportOptions<Ctx> {
  sockets: SocketHandlers<Ctx>;
  http: HttpHandler;
  limits: TransportLimits;
  /** paths (exact prefixes) that accept WebSocket upgrades */
  wsPrefix: string;
  /** uWS only: how messages of 16 KiB or more avoid the engine's direct-write bug (see transport/uws.ts) */
  uwsLargeSend?: 'settled' | 'guarded' | 'subscribe' | 'fragment' | 'direct';
  /** uWS only: largest Frame message a live frame is cut into (see Connection.partBytes) */
  uwsFramePartBytes?: number;
  /** the part of wsPrefix for viewers, whose sockets get `limits.viewerMaxPayload` */
  viewerPrefix: string;
}
