// V8's heap growth between full garbage collections, a process-wide setting applied once at start (server/main.ts).
// V8 counts ArrayBuffer bytes toward the old generation, and every ingested frame is copied into a new one, so with
// its default growth (about 1.2x the live heap here) a relay runs a full mark-compact every few MB of frames, each
// marking the whole heap (code, module sources, every viewer's state). Growing the limit to 2x the live heap halves
// that rate for a few MB of RSS; see the README's Performance section for what it measured.
import v8 from 'node:v8';

/** Sets V8's heap growing factor to 1 + percent/100; 0 leaves V8's own heuristic. Call before serving. */
export function applyHeapGrowth(percent: number): void {
  if (percent > 0) v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
}
