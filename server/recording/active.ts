// The recordings one RecordingStore is writing, by absolute file path: readers use their in-memory index and stop
// at their durable end instead of scanning a file that is still growing. Owned by the store (one per folder), so
// nothing here is process-global.
import type { RecordingHeader } from '../../shared/recording/format';
import type { KeyframeIndex } from './keyframe-index';

export interface RecorderStats {
  id: string;
  room: string;
  inProgress: boolean;
  durationMs: number;
  bytesDurable: number;
  bytesPending: number;
  records: number;
  keyframes: number;
  gaps: number;
  droppedRecords: number;
  droppedBytes: number;
  /** set once writing failed (disk full, I/O error): nothing after `bytesDurable` is recorded */
  failed: string | null;
}

export interface LiveRecording {
  readonly id: string;
  readonly path: string;
  readonly header: RecordingHeader;
  readonly index: KeyframeIndex;
  /** offset of the first record */
  readonly dataStart: number;
  /** bytes of the file that are written (and synced): never serve past this */
  readonly durableEnd: number;
  /** time of the last record inside durableEnd */
  readonly durableTimeMs: number;
  readonly gaps: number;
  /** resolves once the file is finished and closed */
  readonly finished: Promise<void>;
  stats(): RecorderStats;
}

const MAX_FAILED = 10_000;

export class ActiveRecordings {
  private readonly live = new Map<string, LiveRecording>();
  /**
   * Why a recording stopped being written (disk full, I/O error), by path. Kept after the recording ends so its
   * API entry keeps saying so; in memory only, bounded (after a restart the file reads as recovered).
   */
  private readonly failures = new Map<string, string>();

  add(recording: LiveRecording): void {
    this.live.set(recording.path, recording);
  }

  remove(path: string): void {
    this.live.delete(path);
  }

  get(path: string): LiveRecording | undefined {
    return this.live.get(path);
  }

  has(path: string): boolean {
    return this.live.has(path);
  }

  all(): IterableIterator<LiveRecording> {
    return this.live.values();
  }

  markFailed(path: string, reason: string): void {
    this.failures.set(path, reason);
    if (this.failures.size > MAX_FAILED) this.failures.delete(this.failures.keys().next().value!);
  }

  failure(path: string): string | null {
    return this.failures.get(path) ?? null;
  }

  /** The file is gone (deleted): forget why it failed. */
  forget(path: string): void {
    this.failures.delete(path);
  }
}
