// The room's display name, for page titles; null when the room is unknown. Read from the room list rather than
// GET /api/rooms/:id, whose 404 for a missing room would show up as a console error (the socket reports that case).

export async function fetchRoomName(room: string): Promise<string | null> {
  try {
    const res = await fetch('/api/rooms', { cache: 'no-store' });
    if (!res.ok) return null;
    const { rooms } = (await res.json()) as { rooms?: { id?: unknown; name?: unknown }[] };
    const name = rooms?.find((r) => r.id === room)?.name;
    return typeof name === 'string' && name ? name : null;
  } catch {
    return null;
  }
}
