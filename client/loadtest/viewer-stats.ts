// Per-class measurements: an HdrHistogram of end-to-end latency plus counters summed over the class's viewers.
import * as hdr from 'hdr-histogram-js';

export type ViewerClass = 'fast' | 'slow' | 'late';
export const VIEWER_CLASSES: ViewerClass[] = ['fast', 'slow', 'late'];

/** Monotonic counters kept by each viewer; a window's figure is the difference of two snapshots. */
export interface ViewerCounters {
  messages: number;
  tiles: number;
  /** binary payload bytes (tiles, syncs, geometry...) */
  bytes: number;
  syncs: number;
  /** frames whose sync never arrived (coalesced or dropped) */
  syncGaps: number;
  /** server-reported tiles coalesced for this viewer: the sum of every sync's `skipped` (each counts since the previous one) */
  skipped: number;
}

export const zeroCounters = (): ViewerCounters => ({
  messages: 0,
  tiles: 0,
  bytes: 0,
  syncs: 0,
  syncGaps: 0,
  skipped: 0,
});

export function addCounters(into: ViewerCounters, c: ViewerCounters, sign = 1): void {
  into.messages += sign * c.messages;
  into.tiles += sign * c.tiles;
  into.bytes += sign * c.bytes;
  into.syncs += sign * c.syncs;
  into.syncGaps += sign * c.syncGaps;
  into.skipped += sign * c.skipped;
}

export class ClassStats {
  /** latency in microseconds */
  readonly latency = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  recording = false;

  record(latencyMs: number): void {
    if (this.recording) this.latency.recordValue(Math.max(1, Math.round(latencyMs * 1000)));
  }

  percentiles(): { count: number; p50: number; p90: number; p99: number; p999: number; max: number; mean: number } {
    const h = this.latency;
    // HdrHistogram reports a bucket's upper edge; never show a percentile above the true maximum
    const ms = (us: number) => Math.round(Math.min(us, h.maxValue)) / 1000;
    if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
    return {
      count: h.totalCount,
      p50: ms(h.getValueAtPercentile(50)),
      p90: ms(h.getValueAtPercentile(90)),
      p99: ms(h.getValueAtPercentile(99)),
      p999: ms(h.getValueAtPercentile(99.9)),
      max: ms(h.maxValue),
      mean: ms(h.mean),
    };
  }
}
