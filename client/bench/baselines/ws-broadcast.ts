// Baseline: the naive `ws` broadcast loop that queues everything for every viewer (what a first version looks like).
import http from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';
import { parseRoute, portArg } from './port-arg';

const port = portArg();
const rooms = new Map<string, Set<WebSocket>>();
const geometry = new Map<string, Buffer>();
const server = http.createServer((req, res) => {
  if (req.url === '/healthz')
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"engine":"ws-broadcast"}');
  else res.writeHead(404).end();
});
const wss = new WebSocketServer({ server, maxPayload: 64 * 1024 * 1024, perMessageDeflate: false });
wss.on('connection', (ws, req) => {
  const route = parseRoute(req.url ?? '');
  if (!route) return ws.close(4404, 'no such route');
  let viewers = rooms.get(route.room);
  if (!viewers) rooms.set(route.room, (viewers = new Set()));
  if (route.role === 'viewer') {
    const g = geometry.get(route.room);
    if (g) ws.send(g);
    viewers.add(ws);
    ws.on('close', () => viewers.delete(ws));
    return;
  }
  ws.on('message', (data: Buffer, isBinary) => {
    if (!isBinary) return;
    if (data[1] === 0x02) geometry.set(route.room, data);
    for (const v of viewers) v.send(data);
  });
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
