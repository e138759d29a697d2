// Probe: does ws.cork() batch sends when called inside ANOTHER socket's message handler (uWS auto-corks that one)?
// strace -f -e trace=sendto node client/bench/probes/uws-cork-in-handler.mjs inline|immediate  -> count the sendto calls.
import uWS from 'uWebSockets.js';
import net from 'node:net';
const mode = process.argv[2]; // 'inline' | 'immediate'
const viewers = [];
const app = uWS
  .App()
  .ws('/*', {
    open: (ws) => viewers.push(ws),
    message: (ws, msg) => {
      const go = () => {
        for (const v of viewers)
          if (v !== ws)
            v.cork(() => {
              for (let i = 0; i < 4; i++) v.send(new Uint8Array(4000), true);
            });
      };
      if (mode === 'inline') go();
      else setImmediate(go);
    },
  })
  .listen(9330, () => {});
function client() {
  const s = net.connect(9330, '127.0.0.1', () =>
    s.write(
      'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    ),
  );
  s.on('data', () => {});
  return s;
}
const a = client();
client();
client();
setTimeout(() => {
  for (let i = 0; i < 5; i++) a.write(Buffer.from([0x82, 0x81, 0, 0, 0, 0, 1]));
}, 300);
setTimeout(() => process.exit(0), 800);
