// The room's display name from GET /api/rooms/:id, for page titles; null when the room is unknown.

export async function fetchRoomName(room: string): Promise<string | null> {
  try {
    const res = await fetch(`/api/rooms/${encodeURIComponent(room)}`, { cache: 'no-store' });
    if (!res.ok) return null;
    const info = (await res.json()) as { name?: unknown };
    return typeof info.name === 'string' && info.name ? info.name : null;
  } catch {
    return null;
  }
}
