// Pages and assets: content types, cache validators, and no way out of the asset folders.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient } from '../../client/build';
import { isSafeAssetName } from '../../server/http/static';
import { type TilecastServer, startServer } from '../../server/app';

/** Sends the path byte for byte (fetch would normalise `..` and `%2e%2e` away before they reach the server). */
function rawGet(port: number, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
    (resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

describe.each(['uws', 'ws'] as const)('static pages and assets (%s)', (engine) => {
  let server: TilecastServer;
  beforeAll(async () => {
    await buildClient();
    server = await startServer({ port: 0, engine, logLevel: 'silent' });
  });
  afterAll(async () => {
    await server?.close();
  });

  it.each([
    ['/', 'lobby.js'],
    ['/present/abc123', 'present.js'],
    ['/view/abc123', 'view.js'],
    ['/replay/rec-1', 'replay.js'],
  ])('GET %s serves its page', async (path, script) => {
    const res = await rawGet(server.port, path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toContain(`/assets/${script}`);
  });

  it.each([
    ['/assets/tilecast.css', 'text/css; charset=utf-8'],
    ['/assets/favicon.svg', 'image/svg+xml'],
    ['/assets/view.js', 'text/javascript; charset=utf-8'],
    ['/assets/present.capture.worker.js', 'text/javascript; charset=utf-8'],
    ['/assets/present.encode.worker.js', 'text/javascript; charset=utf-8'],
    ['/assets/view.js.map', 'application/json; charset=utf-8'],
  ])('GET %s is served as %s', async (path, type) => {
    const res = await rawGet(server.port, path);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(type);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers a matching If-None-Match with 304', async () => {
    const first = await rawGet(server.port, '/assets/tilecast.css');
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^W\/"/);
    const again = await rawGet(server.port, '/assets/tilecast.css', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body).toBe('');
  });

  it.each([
    '/assets/..%2Fbuild.ts',
    '/assets/..%2f..%2fpackage.json',
    '/assets/%2e%2e%2fbuild.ts',
    '/assets/..%5cbuild.ts',
    '/assets/%2e%2e',
    '/assets/.gitignore',
    '/assets/build.ts',
    '/assets/nope.js',
    '/assets/view.js%00.css',
  ])('GET %s is a 404 with a JSON error', async (path) => {
    const res = await rawGet(server.port, path);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'NOT_FOUND' } });
  });

  it('never serves a file above the asset folders, whatever the path', async () => {
    for (const path of ['/assets/../package.json', '/assets/../../package.json', '/assets/%2e%2e/package.json']) {
      const res = await rawGet(server.port, path);
      expect(res.body).not.toContain('"name": "tilecast"');
    }
  });
});

describe('isSafeAssetName', () => {
  it.each(['view.js', 'present.capture.worker.js', 'tilecast.css', 'favicon.svg'])('accepts %s', (name) => {
    expect(isSafeAssetName(name)).toBe(true);
  });
  it.each(['', '..', '.env', 'a/b.js', 'a\\b.js', '..%2Fx.js', 'x.ts', 'x', 'x.js\0', `${'a'.repeat(130)}.js`])(
    'rejects %j',
    (name) => {
      expect(isSafeAssetName(name)).toBe(false);
    },
  );
});
