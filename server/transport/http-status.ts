// Shared HTTP bits for both engines: status lines and response normalisation.
import { STATUS_CODES } from 'node:http';
import type { FileBody, HttpResponse } from './types';

export function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
}

export function isFileBody(body: HttpResponse['body']): body is FileBody {
  return typeof body === 'object' && body !== null && !(body instanceof Uint8Array) && 'stream' in body;
}

export function errorResponse(status: number, code: string, message: string): HttpResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ error: { code, message } }),
  };
}

/** Close reasons are limited to 123 bytes of UTF-8 by RFC 6455. */
export function closeReason(reason: string): string {
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  return r;
}

export interface Refusal {
  accept: false;
  status: number;
  message: string;
}

export const SHUTTING_DOWN: Refusal = { accept: false, status: 503, message: 'server shutting down: reconnect in a moment' };

/**
 * uWS parses a request head that arrives in one read whatever its size (64 KB were accepted), so the size
 * limit is checked here, on what the parser handed over: request line + headers, as on the wire.
 */
export function headRefusal(path: string, query: string | undefined, headers: Record<string, string>, maxBytes: number): Refusal | null {
  let bytes = path.length + (query ? query.length + 1 : 0) + 16;
  for (const k in headers) bytes += k.length + headers[k].length + 4;
  if (bytes <= maxBytes) return null;
  return { accept: false, status: 431, message: `request head of ~${bytes} bytes is over the ${maxBytes}-byte limit` };
}
