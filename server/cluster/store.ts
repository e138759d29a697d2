// Rooms in a cluster: created in the Redis directory, held locally only while this node is the room's origin
// or has viewers of it (a replica). Dropping a replica is not ending the room.
import type { Config } from '../config';
import type { Logger } from '../log';
import { type CreateRoomInput, LocalRoomStore, newRoomId } from '../room/registry';
import type { Room } from '../room/room';
import type { Directory, RoomMeta } from './directory';

/** Replicas end a little after the origin would, so the origin's own decision normally arrives first. */
const REPLICA_EXTRA_GRACE_MS = 2000;

export class ClusterRoomStore extends LocalRoomStore {
  private readonly stored = new Map<string, Promise<void>>();
  private readonly dropping = new Set<Room>();

  constructor(
    config: Config,
    log: Logger,
    private readonly directory: Directory,
  ) {
    super(config, log);
  }

  /** Writes the room to the directory; no local Room is kept until a presenter or a viewer comes. */
  override create(input: CreateRoomInput): Room {
    const room = this.build(newRoomId(), input);
    const o = room.options;
    const write = this.directory.createRoom(
      {
        id: o.id,
        name: o.name,
        private: o.private,
        record: o.record,
        createdAt: new Date(room.createdAt).toISOString(),
        origin: '',
        state: 'waiting',
        epoch: 0,
      },
      this.config.idleRoomSeconds,
    );
    this.stored.set(o.id, write);
    write.finally(() => this.stored.delete(o.id)).catch(() => {});
    return room;
  }

  whenStored(id: string): Promise<void> {
    return this.stored.get(id) ?? Promise.resolve();
  }

  /** The local Room for a directory room (existing one if any). */
  adopt(meta: RoomMeta): Room {
    const existing = this.rooms.get(meta.id);
    if (existing) return existing;
    const room = this.build(meta.id, meta, REPLICA_EXTRA_GRACE_MS);
    this.rooms.set(meta.id, room);
    return room;
  }

  /** Forgets a local Room (its viewers, if any, are closed as for an end) without marking the room ended. */
  drop(room: Room, reason: string): void {
    this.dropping.add(room);
    room.end(reason);
  }

  markEnded(id: string): void {
    this.ended.add(id);
  }

  protected override forget(room: Room): void {
    if (this.dropping.delete(room)) {
      if (this.rooms.get(room.id) === room) this.rooms.delete(room.id);
      return;
    }
    super.forget(room);
  }
}
