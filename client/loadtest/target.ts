// Resolves what to load: a given --url (checked to be reachable) or a tilecast server started for the run.
import type { LoadTestOptions } from './options';
import { TargetError } from './errors';
import { type ServerProcess, startServerProcess } from './server-process';

export interface Target {
  httpBase: string;
  pid: number | null;
  engine: string | null;
  local: ServerProcess | null;
}

export const TILECAST_SERVER_ARGS = ['--log-level', 'warn'];

export async function resolveTarget(o: LoadTestOptions): Promise<Target> {
  if (!o.url) {
    const local = await startServerProcess('server/main.ts', ['--engine', o.engine, ...TILECAST_SERVER_ARGS]);
    return { httpBase: local.url, pid: local.pid, engine: o.engine, local };
  }
  const httpBase = o.url.replace(/^ws/, 'http').replace(/\/+$/, '');
  try {
    // any HTTP answer proves the server is there; tilecast and the baselines answer /healthz
    const res = await fetch(`${httpBase}/healthz`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json().catch(() => ({}))) as { engine?: string };
    return { httpBase, pid: o.serverPid ?? null, engine: body.engine ?? null, local: null };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const cause = e.cause?.code ?? e.cause?.message ?? e.message;
    throw new TargetError(
      cause === 'ECONNREFUSED'
        ? `cannot reach ${httpBase}: connection refused (is the server running? without --url a local one is started)`
        : `cannot reach ${httpBase}: ${cause}`,
    );
  }
}
