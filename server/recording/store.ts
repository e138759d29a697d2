// The recordings folder: list, open (finished, crashed or still being written), delete. Opened files are cached
// by id and revalidated with one stat, so a seek costs a binary search, not a file scan.
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { RecordingHeader } from '../../shared/recording/format';
import type { Logger } from '../log';
import { ActiveRecordings, type LiveRecording, type RecorderStats } from './active';
import { BadRecordingIdError, RecordingBusyError, RecordingNotFoundError } from '../errors';
import type { KeyframeIndex } from './keyframe-index';
import { type Recorder, type RecorderOptions, createRecorder } from './recorder';
import { type FileState, openRecordingFile } from './recording-file';
import { regularFile } from './no-follow';
import { idFromFileName, isRecordingId, recordingPath } from './recording-id';
import { releaseWriterLock, writtenElsewhere } from './writer-lock';

/** What readers see of one recording; for one in progress, a snapshot at its durable end. */
export interface RecordingHandle {
  id: string;
  path: string;
  header: RecordingHeader;
  inProgress: boolean;
  /** bytes that may be served (in progress: durably written so far) */
  size: number;
  /** offset of the first record */
  dataStart: number;
  /** where media records end (finished: the index record; in progress: the durable end) */
  dataEnd: number;
  durationMs: number;
  gaps: number;
  /** keyframes usable by this reader (in progress: those inside the durable end) */
  keyframes: number;
  index: KeyframeIndex;
  recovered: FileState['recovered'];
  /** the recorder's own figures, for a recording this process is writing */
  live: RecorderStats | null;
  /** why writing stopped (disk full, I/O error) when it did; what is durable is still served */
  failed: string | null;
  /** epoch ms of the last change: the file's mtime, or for one in progress its last durable record */
  mtimeMs: number;
}

export interface Seek {
  /** keyframe number */
  keyframe: number;
  offset: number;
  keyframeTimeMs: number;
}

/** timecode_to_index: the last keyframe at or before `timeMs` (binary search over the index). */
export function seekKeyframe(handle: RecordingHandle, timeMs: number): Seek | null {
  const k = handle.index.find(timeMs, handle.keyframes);
  if (k < 0) return null;
  return { keyframe: k, offset: handle.index.offsetAt(k), keyframeTimeMs: handle.index.timeAt(k) };
}

export interface RecordingInfo {
  id: string;
  room: string;
  /** media of a private room's recording needs ?token= (viewer or presenter token of the room) */
  private: boolean;
  startedAt: string;
  /** `recording` while written, `finished`, or `failed` (writing stopped: see `failure`) */
  status: 'recording' | 'finished' | 'failed';
  failure: string | null;
  inProgress: boolean;
  durationMs: number;
  size: number;
  keyframes: number;
  gaps: number;
  frameRate: number;
  keyframeIntervalMs: number;
  dataStart: number;
  dataEnd: number;
  /** set when opening had to rebuild the index (the writer was killed): how many torn bytes were cut, and why */
  recovered: FileState['recovered'];
  /** recorder figures while in progress here: pending bytes, gaps, dropped records */
  live: RecorderStats | null;
}

export function recordingInfo(h: RecordingHandle): RecordingInfo {
  return {
    id: h.id,
    room: h.header.room,
    private: h.header.private,
    startedAt: new Date(h.header.startedAt).toISOString(),
    status: h.failed ? 'failed' : h.inProgress ? 'recording' : 'finished',
    failure: h.failed,
    inProgress: h.inProgress,
    durationMs: h.durationMs,
    size: h.size,
    keyframes: h.keyframes,
    gaps: h.gaps,
    frameRate: h.header.frameRate,
    keyframeIntervalMs: h.header.keyframeIntervalMs,
    dataStart: h.dataStart,
    dataEnd: h.dataEnd,
    recovered: h.recovered,
    live: h.live,
  };
}

function liveHandle(live: LiveRecording, failed: string | null): RecordingHandle {
  const end = live.durableEnd;
  return {
    id: live.id,
    path: live.path,
    header: live.header,
    inProgress: true,
    size: end,
    dataStart: live.dataStart,
    dataEnd: end,
    durationMs: live.durableTimeMs,
    gaps: live.gaps,
    keyframes: live.index.countBefore(end),
    index: live.index,
    recovered: null,
    live: live.stats(),
    failed,
    mtimeMs: live.header.startedAt + live.durableTimeMs,
  };
}

export class RecordingStore {
  readonly dir: string;
  private readonly cache = new Map<string, { size: number; mtimeMs: number; handle: Promise<RecordingHandle> }>();
  /** what this store is writing now, and why writing stopped where it did */
  private readonly active = new ActiveRecordings();

  constructor(
    dir: string,
    private readonly log: Logger,
  ) {
    this.dir = path.resolve(dir);
  }

  /** Starts recording a room into this folder; attach the result with room.addObserver(). */
  record(roomId: string, options: RecorderOptions = {}): Recorder {
    return createRecorder(this.dir, roomId, options, this.log, this.active);
  }

  private pathOf(id: string): string {
    if (!isRecordingId(id)) throw new BadRecordingIdError(id);
    return recordingPath(this.dir, id);
  }

  async open(id: string): Promise<RecordingHandle> {
    const file = this.pathOf(id);
    const live = this.active.get(file);
    if (live) return liveHandle(live, this.active.failure(file));
    // Only regular files count: a symbolic link in the folder is never followed (see no-follow.ts).
    const st = await regularFile(file);
    if (!st) throw new RecordingNotFoundError(id);
    const cached = this.cache.get(id);
    if (cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs) return cached.handle;
    // One open per file at a time: a crashed file is repaired once, not by every concurrent request. A file another
    // live process is writing is only read (never cut or indexed), and such a handle is good for one request.
    const elsewhere = await writtenElsewhere(file);
    // A recording whose writing failed is read as it is: repairing it would write to the disk that just failed.
    const failed = this.active.failure(file);
    const handle = openRecordingFile(file, id, this.log, !elsewhere && !failed).then(
      (s): RecordingHandle => ({
        id,
        path: file,
        header: s.header,
        inProgress: elsewhere,
        size: s.size,
        dataStart: s.dataStart,
        dataEnd: s.dataEnd,
        durationMs: s.durationMs,
        gaps: s.gaps,
        keyframes: s.index.count,
        index: s.index,
        recovered: s.recovered,
        live: null,
        failed,
        mtimeMs: st.mtimeMs,
      }),
    );
    const entry = { size: st.size, mtimeMs: st.mtimeMs, handle };
    if (!elsewhere) this.cache.set(id, entry);
    try {
      const h = await handle;
      // A repair changed the file: remember its new size and time so the next open is a cache hit.
      if (h.recovered && !elsewhere) {
        await releaseWriterLock(file);
        const after = await regularFile(file);
        if (after) Object.assign(entry, { size: after.size, mtimeMs: after.mtimeMs });
        if (after) h.mtimeMs = after.mtimeMs;
      }
      return h;
    } catch (err) {
      this.cache.delete(id);
      throw err;
    }
  }

  /** Resolves when every recording this store is writing has finished (call after ending the rooms). */
  async settled(): Promise<void> {
    await Promise.all([...this.active.all()].map((r) => r.finished));
  }

  async list(): Promise<RecordingInfo[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return [];
    }
    const out: RecordingInfo[] = [];
    for (const name of names.sort()) {
      const id = idFromFileName(name);
      if (!id) continue;
      try {
        out.push(recordingInfo(await this.open(id)));
      } catch (err) {
        this.log.warn({ err, recording: id }, 'recording skipped in list: cannot be opened');
      }
    }
    return out;
  }

  /** Deletes a finished recording; one still being written is refused (end the room first). */
  async delete(id: string): Promise<void> {
    const file = this.pathOf(id);
    if (this.active.has(file) || (await writtenElsewhere(file))) throw new RecordingBusyError(id);
    try {
      await rm(file);
      await releaseWriterLock(file);
    } catch {
      throw new RecordingNotFoundError(id);
    }
    this.cache.delete(id);
    this.active.forget(file);
    this.log.info({ recording: id }, 'recording deleted');
  }
}
