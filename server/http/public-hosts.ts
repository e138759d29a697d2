// DNS-rebinding defence: a page on an attacker's domain that resolves to this server sends its own domain as
// Host (and Origin). With `publicHosts` set, only those names are served; everything else is refused with 421.
import { MisdirectedError } from '../errors';
import type { HttpHandler } from '../transport/types';
import { errorResponse } from '../transport/http-status';

export type HostCheck = (host: string | undefined) => boolean;

const stripPort = (host: string) =>
  host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');

/** Entries are `name` (any port) or `name:port`; matching is case-insensitive. Empty list: every Host is fine. */
export function hostAllowed(publicHosts: readonly string[]): HostCheck {
  if (publicHosts.length === 0) return () => true;
  const exact = new Set(publicHosts.map((h) => h.trim().toLowerCase()));
  return (host) => {
    if (!host) return false;
    const h = host.trim().toLowerCase();
    return exact.has(h) || exact.has(stripPort(h));
  };
}

/** Load balancers and Prometheus address the server by IP: these carry no room data and are served to any Host. */
const ANY_HOST_PATHS = new Set(['/healthz', '/metrics']);

/** Wraps the HTTP handler: requests for another Host get 421 before any route sees them. */
export function onlyPublicHosts(publicHosts: readonly string[], handler: HttpHandler): HttpHandler {
  if (publicHosts.length === 0) return handler;
  const allowed = hostAllowed(publicHosts);
  return async (req) =>
    allowed(req.headers.host) || ANY_HOST_PATHS.has(req.path)
      ? handler(req)
      : errorResponse(new MisdirectedError(req.headers.host));
}
