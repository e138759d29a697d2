// Same-origin URLs for WebSockets and page parameters.

export function wsUrl(path: string): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}

/** The `:room` part of /present/:room or /view/:room. */
export function roomFromPath(): string {
  const parts = location.pathname.split('/').filter(Boolean);
  return decodeURIComponent(parts[1] ?? '');
}

export function tokenFromQuery(): string | null {
  return new URLSearchParams(location.search).get('token');
}
