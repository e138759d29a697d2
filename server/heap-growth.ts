// V8's heap growth between full garbage collections, a process-wide setting applied once at start (server/main.ts).
// At 50 rooms x 20 viewers V8 ran a full mark-compact about every 1.8 s, started well below its heap limit, each
// marking the whole heap (code, module sources, every viewer's state) on the main thread and V8's helper threads.
// Letting the heap grow to twice its live size first halves that rate for a few MB of RSS; see the README's
// Performance section for what it measured.
import v8 from 'node:v8';

/** Sets V8's heap growing factor to 1 + percent/100; 0 leaves V8's own heuristic. Call before serving. */
export function applyHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
