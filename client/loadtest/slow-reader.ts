// Slow viewers by real TCP backpressure: the socket stops reading (the kernel buffers fill, then the server's sends
// back up) for periods, for the whole window, or reads at a capped bandwidth. Never a sleep inside the server.
import type { RawWebSocket } from './raw-websocket';

export type SlowMode = 'stall' | 'hold' | 'cap';

export interface SlowOptions {
  mode: SlowMode;
  /** stall: ms without reading, then ms reading */
  stallMs: number;
  readMs: number;
  /** cap: bytes per second */
  capBytesPerSecond: number;
}

export class SlowReader {
  private timer: NodeJS.Timeout | null = null;
  private active = false;
  private paused = false;
  private debt = 0;
  private lastRefill = 0;

  constructor(
    private readonly ws: RawWebSocket,
    private readonly o: SlowOptions,
  ) {}

  start(): void {
    this.active = true;
    if (this.o.mode === 'hold') this.pause();
    else if (this.o.mode === 'stall') {
      // random phase, so stalled viewers do not all resume together
      this.timer = setTimeout(() => this.cycle(true), Math.random() * (this.o.stallMs + this.o.readMs));
    } else this.lastRefill = performance.now();
  }

  private cycle(stall: boolean): void {
    if (!this.active) return;
    if (stall) this.pause();
    else this.resume();
    this.timer = setTimeout(() => this.cycle(!stall), stall ? this.o.stallMs : this.o.readMs);
  }

  /** Token bucket for the cap mode: called with every chunk read from the kernel. */
  onBytes(n: number): void {
    if (!this.active || this.o.mode !== 'cap') return;
    const now = performance.now();
    this.debt = Math.max(0, this.debt - ((now - this.lastRefill) / 1000) * this.o.capBytesPerSecond) + n;
    this.lastRefill = now;
    const allowance = this.o.capBytesPerSecond / 20; // 50 ms of bandwidth may be read in one go
    if (this.debt > allowance && !this.paused) {
      this.pause();
      const waitMs = ((this.debt - allowance) / this.o.capBytesPerSecond) * 1000;
      this.timer = setTimeout(() => {
        this.timer = null;
        if (this.active) this.resume();
      }, waitMs);
    }
  }

  private pause(): void {
    this.paused = true;
    this.ws.pause();
  }

  private resume(): void {
    this.paused = false;
    this.ws.resume();
  }

  /** Back to full-speed reading (the drain phase). */
  stop(): void {
    this.active = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.resume();
  }
}
