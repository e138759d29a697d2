// A private room's recording needs the room's viewer (or presenter) token on every media request: taken from the
// page's own ?token=, as the viewer page does.
const token = new URLSearchParams(location.search).get('token');

/** `url` with `token=` added when the page has one. */
export function withToken(url: string): string {
  if (!token) return url;
  return `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}
