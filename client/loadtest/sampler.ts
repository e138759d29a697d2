// Samples the server process, the kernel's TCP memory and the viewers' delivery rate twice a second.
import { type ProcSample, readProc, readTcpMemBytes } from './proc-stats';

export interface Sample {
  at: number;
  messages: number;
  proc: ProcSample | null;
  tcpMem: number | null;
}

export class Sampler {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | null = null;
  peakRss = 0;
  peakTcpMem = 0;
  /** peaks are tracked only while armed (the measured window) */
  armed = false;

  constructor(
    private readonly pid: number | null,
    private readonly messages: () => number,
    private readonly onSample: (s: Sample, previous: Sample | undefined) => void,
  ) {}

  sample(): Sample {
    const s: Sample = {
      at: performance.now(),
      messages: this.messages(),
      proc: this.pid ? readProc(this.pid) : null,
      tcpMem: readTcpMemBytes(),
    };
    if (this.armed) {
      if (s.proc) this.peakRss = Math.max(this.peakRss, s.proc.rssBytes);
      if (s.tcpMem !== null) this.peakTcpMem = Math.max(this.peakTcpMem, s.tcpMem);
    }
    const previous = this.samples[this.samples.length - 1];
    this.samples.push(s);
    this.onSample(s, previous);
    return s;
  }

  start(intervalMs = 500): void {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
