// Checks on a WebSocket upgrade request both engines apply the same way, before the app sees it.

export interface Refusal {
  accept: false;
  status: number;
  message: string;
  headers?: Record<string, string>;
}

export const SHUTTING_DOWN: Refusal = {
  accept: false,
  status: 503,
  message: 'server shutting down: reconnect in a moment',
};

/**
 * uWS parses a request head that arrives in one read whatever its size (64 KB were accepted), so the size
 * limit is checked here, on what the parser handed over: request line + headers, as on the wire.
 */
export function headRefusal(
  path: string,
  query: string | undefined,
  headers: Record<string, string>,
  maxBytes: number,
): Refusal | null {
  let bytes = path.length + (query ? query.length + 1 : 0) + 16;
  for (const k in headers) bytes += k.length + headers[k].length + 4;
  if (bytes <= maxBytes) return null;
  return { accept: false, status: 431, message: `request head of ~${bytes} bytes is over the ${maxBytes}-byte limit` };
}

/** A 16-byte nonce in base64 (RFC 6455 4.1). */
const KEY = /^[A-Za-z0-9+/]{22}==$/;

/**
 * RFC 6455 4.2.1: a bad key is 400, a version other than 13 is 426 with the version we speak. uWS accepts any
 * version (and sends a bad key to the HTTP routes); ws also speaks the hybi-08 draft. Both now answer alike.
 */
export function handshakeRefusal(headers: Record<string, string>): Refusal | null {
  if (!KEY.test(headers['sec-websocket-key'] ?? ''))
    return {
      accept: false,
      status: 400,
      message: 'bad WebSocket handshake: Sec-WebSocket-Key must be 16 bytes in base64',
    };
  if (headers['sec-websocket-version'] !== '13')
    return {
      accept: false,
      status: 426,
      message: 'WebSocket version 13 only',
      headers: { 'sec-websocket-version': '13' },
    };
  return null;
}

/** a request that asks for a WebSocket upgrade (uWS routes it to HTTP when its key is unusable) */
export const wantsUpgrade = (headers: Record<string, string>) => (headers.upgrade ?? '').toLowerCase() === 'websocket';
