// Validators for a recording's bytes (RFC 9110 §8.8): a strong ETag that changes whenever the served bytes may
// change (the file grew, was repaired, or is another file), Last-Modified, and If-Range: a client resuming a
// download with a validator that no longer matches gets the whole current file (200), never a stale range.
import type { RecordingHandle } from './store';

export function etagOf(h: RecordingHandle): string {
  return `"${h.id}-${h.size.toString(36)}-${Math.floor(h.mtimeMs).toString(36)}"`;
}

export function lastModifiedOf(h: RecordingHandle): string {
  return new Date(h.mtimeMs).toUTCString();
}

/** True when a Range may be served: no If-Range, or one naming the current strong ETag or exact Last-Modified. */
export function ifRangeHolds(ifRange: string | undefined, etag: string, lastModified: string): boolean {
  if (ifRange === undefined) return true;
  const v = ifRange.trim();
  if (v.startsWith('W/')) return false; // weak validators never qualify for If-Range
  if (v.startsWith('"')) return v === etag;
  // An HTTP-date: must be exactly the Last-Modified (second precision) to count.
  const at = Date.parse(v);
  return Number.isFinite(at) && at === Date.parse(lastModified);
}
