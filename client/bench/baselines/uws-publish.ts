// Baseline: raw uWebSockets.js topic publish, no coalescing, no ScreenShot. The cost floor of a fan-out on this
// machine; it stays flat under slow viewers only because uWS silently drops what is over maxBackpressure.
import uWS from 'uWebSockets.js';
import { parseRoute, portArg } from './port-arg';

interface Data {
  role: 'presenter' | 'viewer';
  room: string;
}

const port = portArg();
const geometry = new Map<string, ArrayBuffer>();
const app = uWS.App();
app.get(
  '/healthz',
  (res) => void res.writeHeader('content-type', 'application/json').end('{"ok":true,"engine":"uws-publish"}'),
);
app.ws<Data>('/ws/*', {
  compression: uWS.DISABLED,
  maxPayloadLength: 64 * 1024 * 1024,
  maxBackpressure: 1024 * 1024,
  idleTimeout: 120,
  upgrade(res, req, ctx) {
    const route = parseRoute(req.getUrl());
    if (!route) return void res.writeStatus('404 Not Found').end();
    res.upgrade<Data>(
      route,
      req.getHeader('sec-websocket-key'),
      req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'),
      ctx,
    );
  },
  open(ws) {
    const d = ws.getUserData();
    if (d.role !== 'viewer') return;
    // late joiners get the screen size; there is no picture to give them
    const g = geometry.get(d.room);
    if (g) ws.send(g, true);
    ws.subscribe(d.room);
  },
  message(ws, message, isBinary) {
    const d = ws.getUserData();
    if (d.role !== 'presenter' || !isBinary) return;
    if (new Uint8Array(message)[1] === 0x02) geometry.set(d.room, message.slice(0));
    app.publish(d.room, message, true);
  },
});
app.listen('127.0.0.1', port, (token) => {
  if (!token) {
    console.error(`uws-publish: cannot listen on ${port}`);
    process.exit(1);
  }
});
process.on('SIGTERM', () => process.exit(0));
