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
