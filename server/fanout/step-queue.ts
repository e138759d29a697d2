// One setImmediate for every room's fan-out step on a turn, instead of one per room and frame: at 50 rooms a timer
// object per frame was a tenth of the relay's garbage. A step queued while the queue runs (a room that yields) waits
// for the next turn, as it did with its own setImmediate.
let queue: (() => void)[] = [];
let spare: (() => void)[] = [];
let scheduled = false;

function runQueued(): void {
  scheduled = false;
  const steps = queue;
  queue = spare;
  let failure: unknown = null;
  for (let i = 0; i < steps.length; i++) {
    try {
      steps[i]();
    } catch (err) {
      // Every other room's step still runs; the failure surfaces as its own setImmediate's would have.
      failure ??= err;
    }
  }
  steps.length = 0;
  spare = steps;
  if (failure) throw failure;
}

/** Runs `step` on the next turn of the event loop, after I/O, with every other step queued for that turn. */
export function stepSoon(step: () => void): void {
  queue.push(step);
  if (!scheduled) {
    scheduled = true;
    setImmediate(runQueued);
  }
}
