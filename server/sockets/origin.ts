// Cross-site WebSocket hijacking guard: a browser always sends Origin; it must be this server or allow-listed.
// Non-browser clients (load tests, tools) send none and are judged by their tokens alone. "Same origin" compares
// with Host, which a DNS-rebinding page controls too: with public hosts configured, the Origin's host must be one.
import type { HostCheck } from '../http/public-hosts';

export function originAllowed(
  headers: Record<string, string>,
  allowed: readonly string[],
  publicHost?: HostCheck,
): boolean {
  const origin = headers.origin;
  if (!origin) return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  try {
    const host = new URL(origin).host;
    return host === headers.host && (!publicHost || publicHost(host));
  } catch {
    return false;
  }
}
