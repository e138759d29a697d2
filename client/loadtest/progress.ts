// The progress bar on stderr (only on a terminal): phase, connected viewers, delivery rate, fast p99, server load.
import cliProgress from 'cli-progress';

export interface ProgressFigures {
  viewers: number;
  rate: number;
  p99: number;
  cores: number | null;
  rssMB: number | null;
}

export class Progress {
  private readonly bar: cliProgress.SingleBar | null;
  private started = false;
  private current = 'starting';

  constructor(
    enabled: boolean,
    private readonly totalSeconds: number,
  ) {
    this.bar =
      enabled && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            {
              stream: process.stderr,
              format:
                '{bar} {value}/{total}s {phase} | viewers {viewers} | {rate} msg/s | fast p99 {p99} ms | server {cores} cores {rss} MB',
              hideCursor: true,
            },
            cliProgress.Presets.shades_classic,
          )
        : null;
  }

  private ensure(): void {
    if (this.bar && !this.started) {
      this.bar.start(Math.round(this.totalSeconds), 0, {
        phase: this.current,
        viewers: 0,
        rate: 0,
        p99: '-',
        cores: '-',
        rss: '-',
      });
      this.started = true;
    }
  }

  phase(name: string, elapsedSeconds: number): void {
    this.current = name;
    this.ensure();
    this.bar?.update(Math.min(Math.round(elapsedSeconds), Math.round(this.totalSeconds)), { phase: name });
  }

  update(f: ProgressFigures): void {
    this.ensure();
    this.bar?.update({
      viewers: f.viewers,
      rate: f.rate,
      p99: f.p99 ? f.p99.toFixed(1) : '-',
      cores: f.cores === null ? '-' : f.cores.toFixed(2),
      rss: f.rssMB === null ? '-' : f.rssMB.toFixed(0),
    });
  }

  stop(): void {
    if (this.started) this.bar?.stop();
    this.started = false;
  }
}
