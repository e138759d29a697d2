// Talks to a server process started with `--inspect=127.0.0.1:0` over the DevTools protocol: forces a full garbage
// collection before a heap figure is read, so "heap back at baseline" compares live objects, not GC timing.
import WebSocket from 'ws';

/** The inspector's WebSocket URL, from the "Debugger listening on ws://..." line the process printed. */
export function inspectorUrl(log: string): string | null {
  return /Debugger listening on (ws:\/\/\S+)/.exec(log)?.[1] ?? null;
}

export async function collectGarbage(url: string): Promise<void> {
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        const m = JSON.parse(String(data)) as { id?: number; error?: { message: string } };
        if (m.id !== 1) return;
        if (m.error) reject(new Error(`HeapProfiler.collectGarbage: ${m.error.message}`));
        else resolve();
      });
      ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    });
  } finally {
    ws.close();
  }
}
