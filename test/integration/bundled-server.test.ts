// The server as `npm start` runs it: the bundle of server/main.ts (server/build.ts) in plain node. It finds the
// browser pages relative to its own file, and runs without the TypeScript loader.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { SERVER_ENTRY, bundlePath } from '../../server/build';
import { type ServerProcess, startServerProcess, stopServerProcess } from '../helpers/server-process';

let server: ServerProcess | undefined;
afterAll(() => stopServerProcess(server));

describe('bundled server', () => {
  it('serves the lobby, the page bundles and its health from dist/server/main.mjs', async () => {
    server = await startServerProcess([]);
    const bundle = readFileSync(bundlePath(SERVER_ENTRY), 'utf8');
    expect(bundle).not.toMatch(/from ["']tsx/);
    const lobby = await fetch(`${server.url}/`);
    expect(lobby.status).toBe(200);
    expect(await lobby.text()).toContain('<title>tilecast');
    const view = await fetch(`${server.url}/assets/view.js`);
    expect(view.status).toBe(200);
    expect(Number(view.headers.get('content-length'))).toBeGreaterThan(1000);
    expect(await (await fetch(`${server.url}/healthz`)).json()).toMatchObject({ ok: true });
  });
});
