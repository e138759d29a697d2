// The lobby's view of the rooms API (shapes from the contract; validated lightly: the server is ours).
import { z } from 'zod';

export const RoomInfo = z.object({
  id: z.string(),
  name: z.string().nullish(),
  private: z.boolean(),
  presenter: z.enum(['waiting', 'live', 'reconnecting', 'ended']),
  viewers: z.number(),
  fps: z.number().optional().default(0),
  framesIn: z.number().optional().default(0),
  geometry: z.object({ width: z.number(), height: z.number(), tileSize: z.number() }).nullable(),
  createdAt: z.union([z.number(), z.string()]).optional(),
});
export type RoomInfo = z.infer<typeof RoomInfo>;

export const CreatedRoom = z.object({
  id: z.string(),
  presenterToken: z.string(),
  viewerToken: z.string().nullable(),
  presenterUrl: z.string(),
  viewerUrl: z.string(),
});
export type CreatedRoom = z.infer<typeof CreatedRoom>;

async function errorText(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { message?: string } };
    return body.error?.message ?? `HTTP ${res.status}`;
  } catch {
    return `HTTP ${res.status}`;
  }
}

export async function listRooms(): Promise<RoomInfo[]> {
  const res = await fetch('/api/rooms', { cache: 'no-store' });
  if (!res.ok) throw new Error(await errorText(res));
  return z.object({ rooms: z.array(RoomInfo) }).parse(await res.json()).rooms;
}

export async function createRoom(body: { name?: string; private?: boolean }): Promise<CreatedRoom> {
  const res = await fetch('/api/rooms', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(await errorText(res));
  return CreatedRoom.parse(await res.json());
}
