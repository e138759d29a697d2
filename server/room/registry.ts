// The room store: the rooms this process holds, behind the small RoomStore interface that routes and sockets use.
// Rooms are in-memory objects holding live connections, so this store is local to one process.
import { randomBytes } from 'node:crypto';
import type { Config } from '../config';
import type { Logger } from '../log';
import { TooManyRoomsError } from '../errors';
import { Room } from './room';

export interface CreateRoomInput {
  name?: string;
  private?: boolean;
  record?: boolean;
}

export interface RoomStore {
  create(input: CreateRoomInput): Room;
  get(id: string): Room | undefined;
  /** true when a room with this id existed and has ended (viewers get `ended` rather than `not found`) */
  wasEnded(id: string): boolean;
  list(): Room[];
  /** ends every room; `serverGoingAway` closes their sockets with 1001 instead of 1000 */
  closeAll(reason: string, serverGoingAway?: boolean): void;
  /** resolves once a new room is visible to every node (a cluster store writes it to Redis) */
  whenStored?(id: string): Promise<void>;
}

const ENDED_MEMORY = 1000;
/** Room ids: 10 url-safe characters, unguessable enough that private rooms also need the token. */
export const newRoomId = () => randomBytes(8).toString('base64url').slice(0, 10);

export class LocalRoomStore implements RoomStore {
  protected readonly rooms = new Map<string, Room>();
  protected readonly ended = new Set<string>();
  private readonly sweeper: NodeJS.Timeout;
  /** called for every new room (the recorder attaches here) */
  onCreate: (room: Room) => void = () => {};

  constructor(
    protected readonly config: Config,
    protected readonly log: Logger,
  ) {
    // Rooms nobody ever presented in, or left idle, are ended so the store cannot fill up. The sweep runs often
    // enough that neither lifetime is overshot by more than a quarter.
    const shortest = Math.min(config.idleRoomSeconds, config.unpresentedRoomSeconds) * 1000;
    this.sweeper = setInterval(() => this.sweep(), Math.max(250, Math.min(5000, shortest / 4)));
    this.sweeper.unref();
  }

  create(input: CreateRoomInput): Room {
    if (this.rooms.size >= this.config.maxRooms) throw new TooManyRoomsError(this.config.maxRooms);
    const room = this.build(newRoomId(), input);
    this.rooms.set(room.id, room);
    this.onCreate(room);
    return room;
  }

  /** A Room with this server's limits; `extraGraceMs` lets a replica wait a little longer than its origin. */
  protected build(id: string, input: CreateRoomInput, extraGraceMs = 0): Room {
    return new Room(
      {
        id,
        name: input.name ?? `Room ${id}`,
        private: input.private ?? false,
        record: input.record ?? this.config.recordByDefault,
        graceMs: this.config.graceSeconds * 1000 + (this.config.graceSeconds > 0 ? extraGraceMs : 0),
        maxScreenshotBytes: this.config.maxScreenshotBytes,
        maxViewers: this.config.maxViewersPerRoom,
        highWater: this.config.viewerHighWaterBytes,
        fanoutBudget: this.config.fanoutBudget,
        batchFanout: this.config.batchFanout,
        ackWindow: this.config.viewerAckWindow,
      },
      this.log.child({ room: id }),
      (r) => this.forget(r),
    );
  }

  get(id: string): Room | undefined {
    return this.rooms.get(id);
  }

  wasEnded(id: string): boolean {
    return this.ended.has(id);
  }

  list(): Room[] {
    return [...this.rooms.values()];
  }

  closeAll(reason: string, serverGoingAway = false): void {
    clearInterval(this.sweeper);
    for (const room of this.list()) room.end(reason, serverGoingAway);
  }

  protected forget(room: Room): void {
    this.rooms.delete(room.id);
    this.ended.add(room.id);
    if (this.ended.size > ENDED_MEMORY) this.ended.delete(this.ended.values().next().value!);
  }

  private sweep(): void {
    const idleMs = this.config.idleRoomSeconds * 1000;
    const unpresentedMs = this.config.unpresentedRoomSeconds * 1000;
    const now = Date.now();
    for (const room of this.rooms.values()) {
      if (room.state !== 'waiting' || room.viewerCount > 0) continue;
      if (!room.presented && now - room.createdAt > unpresentedMs) room.end('no presenter joined');
      else if (now - room.lastActivity > idleMs) room.end('idle');
    }
  }
}
