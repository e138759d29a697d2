// The browser viewer's Downlink (client/lib/downlink.ts) run in Node over `ws`: a server shutting down (1001)
// makes it schedule a reconnect, while a room that ended (1000) makes it stop. Guards the client half of the
// graceful-shutdown contract.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Downlink, type ViewerState } from '../../client/lib/downlink';
import type { Display } from '../../client/lib/display';
import { encodeGeometry } from '../../shared/protocol';
import { connect } from '../helpers/client';
import { ENGINES, createRoom, startTestServer, waitFor, wsUrl } from '../helpers/server';

/** a Display that paints nothing */
const display = new Proxy(
  {},
  { get: (_t, key) => (key === 'backlog' ? 0 : () => {}), set: () => true },
) as unknown as Display;

const g = globalThis as unknown as { WebSocket?: unknown; location?: unknown };
const saved = { WebSocket: g.WebSocket, location: g.location };
beforeAll(() => {
  g.WebSocket = WebSocket;
});
afterAll(() => {
  g.WebSocket = saved.WebSocket;
  g.location = saved.location;
});

describe.each(ENGINES)('viewer client on %s', (engine) => {
  it.each([
    ['server shutting down (1001)', true, 'offline'],
    ['room ended (1000)', false, 'ended'],
  ] as const)('%s', async (_name, shutdown, expected: ViewerState) => {
    const server = await startTestServer(engine);
    g.location = { protocol: 'http:', host: `127.0.0.1:${server.port}` };
    const room = await createRoom(server);
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry({ width: 64, height: 64, tileSize: 64 }));
    const states: { state: ViewerState; detail: string }[] = [];
    const downlink = new Downlink(room.id, null, display, { state: (state, detail) => states.push({ state, detail }) });
    downlink.start();
    // 'loading' until the first picture is painted: the presenter is live either way
    await waitFor('presenter live', () => states.some((s) => s.state === 'loading' || s.state === 'live'));
    if (shutdown) await server.close(500);
    else presenter.send(JSON.stringify({ type: 'end' }));
    await waitFor('the close handled', () => states.some((s) => s.state === expected), 3000);
    const last = states[states.length - 1];
    expect(last.state).toBe(expected);
    if (shutdown) expect(last.detail).toMatch(/Reconnecting in \d+ s/);
    // The connection's first pings (0, 300 and 900 ms after it opened) die with it: none is sent into a closed
    // socket, nor after the page (or this test) has gone.
    const socket = (downlink as unknown as { socket: { send(d: unknown): boolean; stop(): void } }).socket;
    const sendsAfterClose: unknown[] = [];
    socket.send = (d) => sendsAfterClose.push(d) < 0;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(sendsAfterClose).toEqual([]);
    socket.stop();
    await presenter.close();
    if (!shutdown) await server.close(0);
  });
});
