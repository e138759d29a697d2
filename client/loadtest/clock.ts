// One clock for capture timestamps and receipt times: epoch milliseconds with sub-millisecond resolution.
const origin = performance.timeOrigin;

export function nowMs(): number {
  return origin + performance.now();
}
