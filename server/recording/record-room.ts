// Starts recording a room: the recorder becomes one of its observers and its id the room's `recording`.
// If the file cannot be created the room is ended and the caller gets a clear error, not a room that silently
// does not record.
import { RecordingFailedError } from '../errors';
import type { RoomObserver } from '../room/observer';
import type { RecorderOptions } from './recorder';
import type { RecordingStore } from './store';

import { mkdirSync } from 'node:fs';

export interface RecordableRoom {
  readonly id: string;
  readonly options: { readonly private: boolean };
  recordingId: string | null;
  onFirstPresenter: (() => void) | null;
  addObserver(observer: RoomObserver): void;
  end(reason: string): void;
}

export function recordRoom(store: RecordingStore, room: RecordableRoom, options: RecorderOptions): string {
  try {
    const recorder = store.record(room.id, { private: room.options.private, ...options });
    room.recordingId = recorder.id;
    room.addObserver(recorder);
    return recorder.id;
  } catch (err) {
    room.end('recording could not start');
    throw new RecordingFailedError(store.dir, (err as Error).message);
  }
}

/**
 * Records the room from its first presenter on: rooms nobody presents in (a creation flood) leave no file. The
 * folder is checked now, so a room that cannot record is still refused when it is created.
 */
export function recordWhenPresented(store: RecordingStore, room: RecordableRoom, options: RecorderOptions): void {
  try {
    mkdirSync(store.dir, { recursive: true });
  } catch (err) {
    room.end('recording could not start');
    throw new RecordingFailedError(store.dir, (err as Error).message);
  }
  room.onFirstPresenter = () => void recordRoom(store, room, options);
}
