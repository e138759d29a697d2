// Recordings being written by this process, by absolute file path: readers use their in-memory index and stop at
// their durable end instead of scanning a file that is still growing.
import type { RecordingHeader } from '../../shared/recording/format';
import type { KeyframeIndex } from './keyframe-index';
import type { RecorderStats } from './recorder';

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

export const activeRecordings = new Map<string, LiveRecording>();

/**
 * Why a recording stopped being written (disk full, I/O error), by absolute file path. Kept after the recording
 * ends so its API entry keeps saying so; in memory only, bounded (after a restart the file reads as recovered).
 */
export const failedRecordings = new Map<string, string>();
const MAX_FAILED = 10_000;

export function markFailed(path: string, reason: string): void {
  failedRecordings.set(path, reason);
  if (failedRecordings.size > MAX_FAILED) failedRecordings.delete(failedRecordings.keys().next().value!);
}
