// Probe: does uWS keep a socket's send buffer after it drained? Each of N joiners gets PICTURE bytes on open, as
// messages of CHUNK bytes (in a cork); prints the process's malloc heap and anonymous mappings while the sockets stay
// open (with getBufferedAmount() summed: 0 = everything was written) and after they close.
//   npx tsx client/bench/probes/uws-buffer-retention.ts 400000 400000 1000   (one 400 KB message each)
//   npx tsx client/bench/probes/uws-buffer-retention.ts 400000 4000 1000     (100 messages of 4 KB each)
// Prefix MALLOC_MMAP_THRESHOLD_=131072 to keep glibc from holding freed memory: what remains is held by uWS.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import uWS from 'uWebSockets.js';
import { REPO_ROOT } from '../../loadtest/server-process';

const [picture, chunk, n] = [
  Number(process.argv[2] ?? 400_000),
  Number(process.argv[3] ?? 400_000),
  Number(process.argv[4] ?? 1000),
];
const memory = () => {
  let name = '';
  const rss: Record<string, number> = {};
  for (const line of readFileSync('/proc/self/smaps', 'latin1').split('\n')) {
    const m = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) name = m[1] || '[anon]';
    else if (line.startsWith('Rss:')) rss[name] = (rss[name] ?? 0) + Number(/(\d+)/.exec(line)![1]);
  }
  return `[heap] ${((rss['[heap]'] ?? 0) / 1024).toFixed(1)} MB, anonymous ${((rss['[anon]'] ?? 0) / 1024).toFixed(1)} MB`;
};
const payload = new Uint8Array(chunk).fill(7);
payload[0] = 1;
payload[1] = 0x10;
const open = new Set<uWS.WebSocket<unknown>>();
const app = uWS.App().ws('/ws/*', {
  compression: uWS.DISABLED,
  maxBackpressure: 1024 * 1024 * 1024,
  idleTimeout: 120,
  open(ws) {
    open.add(ws);
    ws.cork(() => {
      for (let sent = 0; sent < picture; sent += chunk) ws.send(payload, true);
    });
  },
  close(ws) {
    open.delete(ws);
  },
});
const port = await new Promise<number>((resolve) =>
  app.listen('127.0.0.1', 0, (t) => resolve(uWS.us_socket_local_port(t))),
);
console.log(`before: ${memory()}`);
const clients = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    'client/bench/sections/idle-clients.ts',
    'forward',
    String(n),
    `ws://127.0.0.1:${port}/ws/view/r`,
  ],
  {
    cwd: REPO_ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  },
);
console.log(await new Promise<string>((resolve) => createInterface({ input: clients.stdout }).once('line', resolve)));
for (let i = 1; i <= 4; i++) {
  await new Promise((r) => setTimeout(r, 3000));
  const buffered = [...open].reduce((sum, ws) => sum + ws.getBufferedAmount(), 0);
  console.log(`open, +${3 * i} s: ${memory()}, still buffered ${buffered} B`);
}
clients.stdin.end();
await new Promise((r) => setTimeout(r, 2000));
console.log(`closed: ${memory()}`);
process.exit(0);
