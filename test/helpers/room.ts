// A Room for unit tests over fake connections: options a test does not name get small, permissive defaults, and
// every room made here is ended after each test.
import { afterEach } from 'vitest';
import { createLogger } from '../../server/log';
import { Room, type RoomOptions } from '../../server/room/room';

const made: Room[] = [];
afterEach(() => {
  for (const r of made.splice(0)) r.end('test over');
});

export function makeRoom(options: Partial<RoomOptions> = {}): Room {
  const room = new Room(
    {
      id: 'r1',
      name: 'test',
      private: false,
      record: false,
      graceMs: 60_000,
      maxScreenshotBytes: 1e9,
      maxViewers: 100,
      highWater: 1000,
      fanoutBudget: 1e6,
      batchFanout: false,
      ackWindow: Number.POSITIVE_INFINITY,
      ...options,
    },
    createLogger('silent'),
    () => {},
  );
  made.push(room);
  return room;
}
