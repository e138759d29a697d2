// How late a generator thread's event loop ran. Node's monitorEventLoopDelay records each whole period of its timer,
// so a loop that is never late reads the period itself (~10 ms), not 0: the period is taken off here, and what is
// reported is the delay a message waiting on that loop would have had added to its measured latency.
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/** the monitor's timer period */
const PERIOD_MS = 10;

export function loopMonitor(): IntervalHistogram {
  return monitorEventLoopDelay({ resolution: PERIOD_MS });
}

/** p99 and worst lateness in ms of what `monitor` recorded */
export function loopLateness(monitor: IntervalHistogram): { p99: number; max: number } {
  const late = (ns: number) => Math.max(0, ns / 1e6 - PERIOD_MS);
  return { p99: late(monitor.percentile(99)), max: late(monitor.max) };
}
