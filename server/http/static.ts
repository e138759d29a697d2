// Pages and assets of the browser client: client/public/<page>.html for each page route, client/public/* and
// client/dist/* under /assets/. Names are checked against a strict pattern, so no path can leave those folders.
import { createReadStream, existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpRequest, HttpResponse } from '../transport/types';
import { CODEC_MIME } from '../../shared/protocol';
import { NotFoundError } from '../errors';
import { errorResponse } from '../transport/http-status';
import type { Route } from './router';

const clientDir = fileURLToPath(new URL('../../client/', import.meta.url));
const publicDir = join(clientDir, 'public');
const distDir = join(clientDir, 'dist');

/** The bundle is built by `npm run build:client` (run by `npm start` and `npm test`), not by the server. */
export function warnIfNoClientBundle(log: { warn(msg: string): void }): void {
  if (!existsSync(join(distDir, 'view.js')))
    log.warn('client/dist has no bundle: pages will not load; run `npm run build:client`');
}

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
  json: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: CODEC_MIME.png,
  webp: CODEC_MIME.webp,
  jpg: CODEC_MIME.jpeg,
  ico: 'image/x-icon',
  woff2: 'font/woff2',
  txt: 'text/plain; charset=utf-8',
};

const STREAM_ABOVE_BYTES = 4 * 1024 * 1024;

/** One flat file name: no slashes (plain or encoded), no leading dot, no `..`, a known extension. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*$/;

export function isSafeAssetName(name: string): boolean {
  return name.length <= 128 && SAFE_NAME.test(name) && extensionOf(name) in CONTENT_TYPES;
}

function extensionOf(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1).toLowerCase();
}

/**
 * Serves one file with a weak validator, so reloads cost a 304. Files are not content-hashed, hence `no-cache`
 * (revalidate every time) rather than a long max-age.
 */
async function serveFile(req: HttpRequest, path: string, name: string): Promise<HttpResponse | null> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch {
    return null;
  }
  if (!info.isFile()) return null;
  const etag = `W/"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const headers: Record<string, string> = {
    'content-type': CONTENT_TYPES[extensionOf(name)] ?? 'application/octet-stream',
    'cache-control': 'no-cache',
    etag,
    'x-content-type-options': 'nosniff',
  };
  if (req.headers['if-none-match'] === etag) return { status: 304, headers };
  if (info.size > STREAM_ABOVE_BYTES)
    return { status: 200, headers, body: { stream: () => createReadStream(path), length: info.size } };
  // Small files are read whole: one open, so a bundle replaced mid-request (a rebuild) is never served half old.
  try {
    return { status: 200, headers, body: new Uint8Array(await readFile(path)) };
  } catch {
    return null;
  }
}

function page(file: string): Route['handler'] {
  return async (req) =>
    (await serveFile(req, join(publicDir, file), file)) ?? errorResponse(new NotFoundError(`page ${file} is missing`));
}

async function asset(req: HttpRequest, params: Record<string, string>): Promise<HttpResponse> {
  const name = params.file ?? '';
  // The raw path is checked too, in case the router decoded %2F or %2E%2E into the parameter.
  if (!isSafeAssetName(name) || /%2f|%5c|%2e%2e|\.\./i.test(req.path))
    return errorResponse(new NotFoundError(`no asset ${JSON.stringify(name)}`));
  for (const dir of [publicDir, distDir]) {
    const res = await serveFile(req, join(dir, name), name);
    if (res) return res;
  }
  return errorResponse(new NotFoundError(`no asset ${JSON.stringify(name)}`));
}

export const staticRoutes: Route[] = [
  { method: 'GET', pattern: '/', handler: page('lobby.html') },
  { method: 'GET', pattern: '/present/:room', handler: page('present.html') },
  { method: 'GET', pattern: '/view/:room', handler: page('view.html') },
  { method: 'GET', pattern: '/replay/:id', handler: page('replay.html') },
  { method: 'GET', pattern: '/assets/:file', handler: asset },
];
