// A room observer that appends the room's stream to a recording file: keyframes every K seconds and at every
// geometry change, frames and cursor moves in between. Lossless while the disk keeps up; when the bounded queue
// is full it drops records, and resumes with a gap record and a fresh keyframe.
import { closeSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { type Geometry, encodeCursor, encodeGeometry } from '../../shared/protocol';
import {
  GAP_BYTES,
  RECORDING_FORMAT,
  RECORD_HEADER_BYTES,
  type RecordingHeader,
  RecordType,
  TRAILER_BYTES,
  encodeFileHeader,
  encodeFrameFixed,
  encodeGap,
  encodeIndex,
  encodeKeyframeFixed,
  encodeRecordHeader,
  encodeTrailer,
} from '../../shared/recording/format';
import { RECORDING_DEFAULTS } from '../config';
import type { Logger } from '../log';
import type { RoomObserver } from '../room/observer';
import type { ScreenShotView } from '../room/screenshot';
import type { IngestedFrame, TileEntry } from '../frames/tile-entry';
import { ActiveRecordings, type LiveRecording, type RecorderStats } from './active';
import { FileWriter } from './file-writer';
import { KeyframeIndex } from './keyframe-index';
import { newRecordingId, recordingPath } from './recording-id';
import { releaseWriterLock, takeWriterLock } from './writer-lock';

export interface RecorderOptions {
  keyframeIntervalSeconds?: number;
  flushMs?: number;
  /** nominal frame rate for SMPTE timecodes */
  frameRate?: number;
  /** bytes waiting for the disk above which records are dropped (and a gap is marked) */
  maxQueueBytes?: number;
  /** fdatasync every flush */
  sync?: boolean;
  /** geometry the room already has, if any */
  geometry?: Geometry | null;
  /** the room is private: reading the recording's media then needs a room token */
  private?: boolean;
}

export type Recorder = RoomObserver & {
  readonly id: string;
  readonly path: string;
  /** epoch ms; record times count from here */
  readonly startedAt: number;
  stats(): RecorderStats;
  /** resolves when the file is finished (index and trailer written, file closed) */
  readonly finished: Promise<void>;
};

/** Settings with no server flag keep their defaults here; the others come from config.ts. */
const DEFAULTS: Settings = {
  ...RECORDING_DEFAULTS,
  frameRate: 30,
  maxQueueBytes: 64 * 1024 * 1024,
  sync: true,
};
type Settings = Required<
  Pick<RecorderOptions, 'keyframeIntervalSeconds' | 'flushMs' | 'frameRate' | 'maxQueueBytes' | 'sync'>
>;

/**
 * Creates the file exclusively (never overwriting) and returns the observer to attach to the room. While it
 * writes, the recording is in `active` (its store's), where readers find it; one made outside a store is in a
 * set of its own.
 */
export function createRecorder(
  dir: string,
  roomId: string,
  options: RecorderOptions,
  log: Logger,
  active = new ActiveRecordings(),
): Recorder {
  const settings: Settings = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS) as (keyof Settings)[]) {
    const value = options[key];
    if (value !== undefined) (settings as Record<string, unknown>)[key] = value;
  }
  const id = newRecordingId();
  const file = path.resolve(recordingPath(dir, id));
  const header: RecordingHeader = {
    format: RECORDING_FORMAT,
    id,
    room: roomId,
    startedAt: Date.now(),
    frameRate: settings.frameRate,
    keyframeIntervalMs: Math.round(settings.keyframeIntervalSeconds * 1000),
    geometry: options.geometry ?? null,
    private: options.private ?? false,
  };
  const headerBytes = encodeFileHeader(header);
  // Synchronous on purpose, once per room: a creation error (disk full, an existing file) reaches the caller
  // that asked for the recording, and the id is valid as soon as this returns. Everything after is async.
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'wx', 0o640);
  try {
    takeWriterLock(file);
    writeSync(fd, headerBytes); // made durable by the first flush's fdatasync
  } catch (err) {
    closeSync(fd);
    unlinkSync(file); // ours: created exclusively just above
    throw err;
  }
  return new FileRecorder(
    fd,
    file,
    header,
    headerBytes.byteLength,
    settings,
    active,
    log.child({ recording: id, room: roomId }),
  );
}

class FileRecorder implements Recorder, LiveRecording {
  readonly id: string;
  readonly index = new KeyframeIndex();
  readonly finished: Promise<void>;
  private readonly writer: FileWriter;
  private geometryMessage: Uint8Array | null;
  private cursorMessage = encodeCursor(0, 0, false);
  private lastTimeMs = 0;
  private lastKeyframeMs = Number.NEGATIVE_INFINITY;
  private needKeyframe = true;
  private gap: { sinceMs: number; records: number; bytes: number } | null = null;
  private isEnded = false;
  private records = 0;
  gaps = 0;
  private droppedRecords = 0;
  private droppedBytes = 0;
  private resolveFinished!: () => void;

  constructor(
    fd: number,
    readonly path: string,
    readonly header: RecordingHeader,
    readonly dataStart: number,
    settings: Settings,
    private readonly active: ActiveRecordings,
    private readonly log: Logger,
  ) {
    this.id = header.id;
    this.geometryMessage = header.geometry ? encodeGeometry(header.geometry) : null;
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.writer = new FileWriter(
      fd,
      dataStart,
      {
        maxQueueBytes: settings.maxQueueBytes,
        flushMs: settings.flushMs,
        eagerFlushBytes: 4 * 1024 * 1024,
        sync: settings.sync,
      },
      (err) => {
        // The live room goes on; the recording keeps what is durable and says why it stopped.
        const code = (err as NodeJS.ErrnoException).code;
        active.markFailed(path, `write failed${code ? ` (${code})` : ''}: ${err.message}`);
        this.log.error({ err }, 'recording write failed; nothing more is recorded');
      },
    );
    active.add(this);
    this.log.info({ file: path }, 'recording started');
  }

  get startedAt(): number {
    return this.header.startedAt;
  }

  get durableEnd(): number {
    return this.writer.durableEnd;
  }

  get durableTimeMs(): number {
    return this.writer.durableTimeMs;
  }

  geometry(g: Geometry, receivedAt: number): void {
    if (this.isEnded) return;
    this.geometryMessage = encodeGeometry(g);
    // The picture is empty right after a geometry change: an empty keyframe that carries the new geometry.
    this.writeKeyframe(this.time(receivedAt), 0, 0, []);
  }

  frame(frame: IngestedFrame, keyframe: ScreenShotView): void {
    if (this.isEnded) return;
    if (!this.geometryMessage && keyframe.geometry) this.geometryMessage = encodeGeometry(keyframe.geometry);
    if (!this.geometryMessage) return;
    const t = this.time(frame.receivedAt);
    if (this.needKeyframe || t - this.lastKeyframeMs >= this.header.keyframeIntervalMs) {
      const tiles: TileEntry[] = [];
      for (const tile of keyframe.tiles) if (tile) tiles.push(tile);
      this.writeKeyframe(t, frame.seq, frame.captureTs, tiles);
      return;
    }
    this.write(RecordType.Frame, t, encodeFrameFixed(frame.seq, frame.tiles.length, frame.captureTs), frame.tiles);
  }

  cursor(message: Uint8Array, _x: number, _y: number, _visible: boolean, receivedAt: number): void {
    if (this.isEnded) return;
    this.cursorMessage = message;
    this.write(RecordType.Cursor, this.time(receivedAt), message, []);
  }

  ended(reason: string): void {
    if (this.isEnded) return;
    this.isEnded = true;
    void this.finish(reason);
  }

  stats(): RecorderStats {
    return {
      id: this.id,
      room: this.header.room,
      inProgress: !this.isEnded,
      durationMs: this.lastTimeMs,
      bytesDurable: this.writer.durableEnd,
      bytesPending: this.writer.pendingBytes,
      records: this.records,
      keyframes: this.index.count,
      gaps: this.gaps,
      droppedRecords: this.droppedRecords,
      droppedBytes: this.droppedBytes,
      failed: this.active.failure(this.path),
    };
  }

  private time(receivedAt: number): number {
    // receivedAt is the server's epoch clock; record times never go backwards.
    const t = Math.max(this.lastTimeMs, Math.round(receivedAt - this.header.startedAt));
    this.lastTimeMs = t;
    return t;
  }

  private writeKeyframe(t: number, seq: number, captureTs: number, tiles: readonly TileEntry[]): void {
    if (!this.geometryMessage) return;
    const fixed = encodeKeyframeFixed(this.geometryMessage, this.cursorMessage, seq, tiles.length, captureTs);
    const offset = this.write(RecordType.Keyframe, t, fixed, tiles, true);
    if (offset < 0) return;
    this.index.add(t, offset);
    this.lastKeyframeMs = t;
    this.needKeyframe = false;
  }

  /** Queues one record: header, fixed part, then each tile message as its own buffer (no joining copies). */
  private write(
    type: RecordType,
    t: number,
    fixed: Uint8Array,
    tiles: readonly { message: Uint8Array }[],
    keyframe = false,
  ): number {
    let body = fixed.byteLength;
    for (const tile of tiles) body += tile.message.byteLength;
    const bytes = RECORD_HEADER_BYTES + body;
    if (this.gap && !(keyframe && this.closeGap(t, bytes))) return this.drop(bytes);
    const buffers: Uint8Array[] = [encodeRecordHeader(type, body, t), fixed];
    for (const tile of tiles) buffers.push(tile.message);
    const offset = this.writer.append(buffers, bytes, t);
    if (offset < 0) {
      this.gap = { sinceMs: t, records: 0, bytes: 0 };
      this.gaps++;
      this.needKeyframe = true;
      this.log.warn(
        { pendingBytes: this.writer.pendingBytes, atMs: t },
        'recording fell behind the disk; dropping until the next keyframe',
      );
      return this.drop(bytes);
    }
    this.records++;
    return offset;
  }

  /** Writes the gap record if the keyframe that ends the gap fits too. */
  private closeGap(t: number, keyframeBytes: number): boolean {
    const gap = this.gap!;
    const gapBytes = RECORD_HEADER_BYTES + GAP_BYTES;
    if (!this.writer.hasRoom(gapBytes + keyframeBytes)) return false;
    this.writer.append(
      [encodeRecordHeader(RecordType.Gap, GAP_BYTES, t), encodeGap(gap.records, gap.sinceMs, gap.bytes)],
      gapBytes,
      t,
    );
    this.records++;
    this.log.warn(
      { droppedRecords: gap.records, droppedBytes: gap.bytes, fromMs: gap.sinceMs, toMs: t },
      'recording gap ends; resuming at a keyframe',
    );
    this.gap = null;
    return true;
  }

  private drop(bytes: number): number {
    this.gap!.records++;
    this.gap!.bytes += bytes;
    this.droppedRecords++;
    this.droppedBytes += bytes;
    return -1;
  }

  /** End record, index, trailer; then the file is closed and no longer "in progress". */
  private async finish(reason: string): Promise<void> {
    const t = this.lastTimeMs;
    const w = this.writer;
    if (this.gap) {
      // A gap no keyframe closed: say so before the end, so a player knows the tail is missing.
      const gap = encodeGap(this.gap.records, this.gap.sinceMs, this.gap.bytes);
      w.append([encodeRecordHeader(RecordType.Gap, GAP_BYTES, t), gap], RECORD_HEADER_BYTES + GAP_BYTES, t, true);
      this.gap = null;
    }
    const text = new TextEncoder().encode(reason.slice(0, 200));
    w.append(
      [encodeRecordHeader(RecordType.End, text.byteLength, t), text],
      RECORD_HEADER_BYTES + text.byteLength,
      t,
      true,
    );
    const indexOffset = w.appendedEnd;
    const snap = this.index.snapshot();
    const body = encodeIndex({ ...snap, durationMs: t, dataEnd: indexOffset, gaps: this.gaps });
    w.append(
      [encodeRecordHeader(RecordType.Index, body.byteLength, t), body],
      RECORD_HEADER_BYTES + body.byteLength,
      t,
      true,
    );
    w.append([encodeTrailer(indexOffset)], TRAILER_BYTES, t, true);
    try {
      await w.close();
      this.log.info({ ...this.stats(), reason }, 'recording finished');
    } finally {
      this.active.remove(this.path);
      await releaseWriterLock(this.path);
      this.resolveFinished();
    }
  }
}
