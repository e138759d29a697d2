// The room's display name, for page titles; null when the room is unknown. A public room's is read from the room
// list rather than GET /api/rooms/:id, whose 404 for a missing room would show up as a console error (the socket
// reports that case). Private rooms are not listed: with a token, their details are asked for with it.

export async function fetchRoomName(room: string, token: string | null = null): Promise<string | null> {
  try {
    if (token) {
      const res = await fetch(`/api/rooms/${encodeURIComponent(room)}?token=${encodeURIComponent(token)}`, {
        cache: 'no-store',
      });
      if (!res.ok) return null;
      const { name } = (await res.json()) as { name?: unknown };
      return typeof name === 'string' && name ? name : null;
    }
    const res = await fetch('/api/rooms', { cache: 'no-store' });
    if (!res.ok) return null;
    const { rooms } = (await res.json()) as { rooms?: { id?: unknown; name?: unknown }[] };
    const name = rooms?.find((r) => r.id === room)?.name;
    return typeof name === 'string' && name ? name : null;
  } catch {
    return null;
  }
}
