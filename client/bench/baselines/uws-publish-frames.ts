// Baseline: raw uWebSockets.js topic publish of whole frames. The presenter's Frame message (every changed tile
// plus its sync, flagged EndsWithSync) is forwarded as one message: exactly what a zero-logic relay sends, and the
// true cost floor of a frame fan-out. No coalescing, no ScreenShot; uWS drops what is over maxBackpressure.
import uWS from 'uWebSockets.js';
import { MessageType } from '../../../shared/protocol';
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
  (res) => void res.writeHeader('content-type', 'application/json').end('{"ok":true,"engine":"uws-publish-frames"}'),
);
app.ws<Data>('/ws/*', {
  compression: uWS.DISABLED,
  maxPayloadLength: 64 * 1024 * 1024,
  // a whole 1280x720 frame is ~1 MB: allow a few of them, as the per-tile baseline allows ~1 MB of tiles
  maxBackpressure: 4 * 1024 * 1024,
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
    const g = geometry.get(d.room);
    if (g) ws.send(g, true);
    ws.subscribe(d.room);
  },
  message(ws, message, isBinary) {
    const d = ws.getUserData();
    if (d.role !== 'presenter' || !isBinary) return;
    if (new Uint8Array(message)[1] === MessageType.Geometry) geometry.set(d.room, message.slice(0));
    app.publish(d.room, message, true);
  },
});
app.listen('127.0.0.1', port, (token) => {
  if (!token) {
    console.error(`uws-publish-frames: cannot listen on ${port}`);
    process.exit(1);
  }
});
process.on('SIGTERM', () => process.exit(0));
