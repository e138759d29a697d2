// Keyframe index: time -> byte offset, growing while recording. Seeks are a binary search: O(log n).
export class KeyframeIndex {
  private times: Uint32Array;
  private offsets: Float64Array;
  count = 0;

  constructor(capacity = 256) {
    this.times = new Uint32Array(capacity);
    this.offsets = new Float64Array(capacity);
  }

  static from(times: ArrayLike<number>, offsets: ArrayLike<number>, count: number): KeyframeIndex {
    const index = new KeyframeIndex(Math.max(16, count));
    for (let i = 0; i < count; i++) index.add(times[i], offsets[i]);
    return index;
  }

  /** Appends an entry; times and offsets never go backwards (keyframes are written in order). */
  add(timeMs: number, offset: number): void {
    if (this.count === this.times.length) {
      const times = new Uint32Array(this.times.length * 2);
      const offsets = new Float64Array(this.offsets.length * 2);
      times.set(this.times);
      offsets.set(this.offsets);
      this.times = times;
      this.offsets = offsets;
    }
    this.times[this.count] = timeMs;
    this.offsets[this.count] = offset;
    this.count++;
  }

  timeAt(i: number): number {
    return this.times[i];
  }

  offsetAt(i: number): number {
    return this.offsets[i];
  }

  /** Entries whose keyframe starts before `end` (bytes durably written): what an in-progress reader may use. */
  countBefore(end: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.offsets[mid] < end) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * timecode_to_index: the last keyframe at or before `timeMs` among the first `limit` entries,
   * or the first keyframe when the time is before it; -1 when there is none.
   */
  find(timeMs: number, limit = this.count): number {
    if (limit === 0) return -1;
    let lo = 0;
    let hi = limit;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.times[mid] <= timeMs) lo = mid + 1;
      else hi = mid;
    }
    return Math.max(0, lo - 1);
  }

  /** Copies of the used parts, for writing the index record. */
  snapshot(): { times: Uint32Array; offsets: Float64Array; count: number } {
    return {
      times: this.times.subarray(0, this.count),
      offsets: this.offsets.subarray(0, this.count),
      count: this.count,
    };
  }
}
