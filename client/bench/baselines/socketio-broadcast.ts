// Baseline: a Socket.IO room broadcast (what users pick today). Binary events, no compression; generous ping
// timeouts so a stalled reader is queued for, not disconnected (the generator also sends unsolicited pongs).
import http from 'node:http';
import { Server } from 'socket.io';
import { portArg } from './port-arg';

const port = portArg();
const server = http.createServer((req, res) => {
  if (req.url === '/healthz')
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true,"engine":"socketio"}');
  else if (!req.url?.startsWith('/socket.io/')) res.writeHead(404).end();
});
const io = new Server(server, {
  transports: ['websocket'],
  perMessageDeflate: false,
  maxHttpBufferSize: 64 * 1024 * 1024,
  pingInterval: 25_000,
  pingTimeout: 120_000,
  serveClient: false,
});
const geometry = new Map<string, Buffer>();
io.on('connection', (socket) => {
  const room = String(socket.handshake.query.room ?? '');
  const role = String(socket.handshake.query.role ?? 'viewer');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(room)) return void socket.disconnect(true);
  if (role === 'viewer') {
    const g = geometry.get(room);
    if (g) socket.emit('m', g);
    void socket.join(room);
    return;
  }
  socket.on('m', (data: Buffer) => {
    if (!Buffer.isBuffer(data)) return;
    if (data[1] === 0x02) geometry.set(room, data);
    socket.to(room).emit('m', data);
  });
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
