// Holds N idle viewers open against a server, spread over the given viewer URLs, for the idle-density section.
// Run as its own process (so its sockets do not count against the bench's fd limit): prints one JSON line once
// every viewer has opened or failed, then holds them until stdin closes.
import { PROTOCOLS, type ProtocolName } from '../../loadtest/protocols';
import { RawWebSocket } from '../../loadtest/raw-websocket';

const [protocolName, countArg, ...urls] = process.argv.slice(2);
const protocol = PROTOCOLS[protocolName as ProtocolName];
const count = Number(countArg);
if (!protocol || !Number.isInteger(count) || !urls.length) {
  console.error('usage: idle-clients.ts <protocol> <count> <viewer-url>...');
  process.exit(2);
}
const BATCH = 200;
let ready = 0;
let failed = 0;
let lastError = '';
const sockets: RawWebSocket[] = [];

function open(url: string): Promise<void> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = () => {
      if (!settled) (settled = true), resolve();
    };
    const ws: RawWebSocket = new RawWebSocket(
      { url },
      {
        open: () => {
          for (const m of protocol.opened().send) ws.send(m);
          ready++;
          settle();
        },
        message: (op, head) => {
          // Socket.IO handshake replies; the others send nothing an idle viewer must answer
          if (op === 1) for (const m of protocol.text(Buffer.from(head).toString('utf8')).send) ws.send(m);
        },
        closed: (code, reason, error) => {
          if (!settled) failed++;
          else ready--;
          lastError = error?.message ?? `closed ${code} ${reason}`;
          settle();
        },
      },
    );
    sockets.push(ws);
  });
}

for (let i = 0; i < count; i += BATCH) {
  const batch: Promise<void>[] = [];
  for (let j = i; j < Math.min(count, i + BATCH); j++) batch.push(open(urls[j % urls.length]));
  await Promise.all(batch);
}
// idle viewers still answer pings (RawWebSocket pongs), as a browser tab would
console.log(JSON.stringify({ ready, failed, lastError }));
process.stdin.resume();
process.stdin.on('end', () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
});
