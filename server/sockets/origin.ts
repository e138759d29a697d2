// Cross-site WebSocket hijacking guard: a browser always sends Origin; it must be this server or allow-listed.
// Non-browser clients (load tests, tools) send none and are judged by their tokens alone.
export function originAllowed(headers: Record<string, string>, allowed: readonly string[]): boolean {
  const origin = headers['origin'];
  if (!origin) return true;
  if (allowed.includes('*') || allowed.includes(origin)) return true;
  try {
    return new URL(origin).host === headers['host'];
  } catch {
    return false;
  }
}
