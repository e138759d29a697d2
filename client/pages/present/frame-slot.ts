// The capture loop's one pending frame: a newer frame replaces (and closes) an older one instead of queueing
// behind it, and once stopped every frame that still arrives is closed at once.
export interface Closable {
  close(): void;
}

export class FrameSlot<T extends Closable> {
  private frame: T | null = null;
  private stopped = false;
  /** Date.now() when the pending frame arrived */
  at = 0;

  get empty(): boolean {
    return this.frame === null;
  }

  put(frame: T, now = Date.now()): boolean {
    if (this.stopped) {
      frame.close();
      return false;
    }
    this.frame?.close();
    this.frame = frame;
    this.at = now;
    return true;
  }

  /** The pending frame, now owned by the caller (who must close it). */
  take(): T | null {
    const f = this.frame;
    this.frame = null;
    return f;
  }

  stop(): void {
    this.stopped = true;
    this.frame?.close();
    this.frame = null;
  }

  /** A new source after a stop (the page shares again). */
  restart(): void {
    this.stopped = false;
  }
}

/** Runs `use` on a frame and closes it whatever happens: a drawImage that throws must not leak the frame. */
export function useAndClose<T extends Closable, R>(frame: T, use: (frame: T) => R): R {
  try {
    return use(frame);
  } finally {
    frame.close();
  }
}
