// Shared HTTP bits for both engines: status lines and response normalisation.
import { STATUS_CODES } from 'node:http';
import type { TilecastError } from '../errors';
import type { FileBody, HttpResponse } from './types';

export function statusLine(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
}

export function isFileBody(body: HttpResponse['body']): body is FileBody {
  return (
    typeof body === 'object' && body !== null && !(body instanceof Uint8Array) && ('stream' in body || 'file' in body)
  );
}

/** Content-Length of a response body (the same for GET and HEAD). */
export function bodyLength(body: HttpResponse['body']): number {
  return isFileBody(body) ? body.length : typeof body === 'string' ? Buffer.byteLength(body) : (body?.byteLength ?? 0);
}

/** A catalogue error (server/errors.ts) as an HTTP answer: its status and {error:{code,message}}, plus extra headers. */
export function errorResponse(err: TilecastError, headers: Record<string, string> = {}): HttpResponse {
  return {
    status: err.httpStatus,
    headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
    body: JSON.stringify({ error: { code: err.code, message: err.message } }),
  };
}

/** Close reasons are limited to 123 bytes of UTF-8 by RFC 6455. */
export function closeReason(reason: string): string {
  let r = reason;
  while (Buffer.byteLength(r) > 123) r = r.slice(0, -1);
  return r;
}
