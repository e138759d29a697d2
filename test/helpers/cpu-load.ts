// Busy-loop processes beside a test, so timing-sensitive code runs on a loaded machine as it will in real life.
import { type ChildProcess, spawn } from 'node:child_process';

export class CpuLoad {
  private readonly children: ChildProcess[];

  constructor(processes: number) {
    this.children = Array.from({ length: processes }, () =>
      spawn(process.execPath, ['-e', 'for(;;);'], { stdio: 'ignore' }),
    );
  }

  stop(): void {
    for (const c of this.children) c.kill('SIGKILL');
  }
}
