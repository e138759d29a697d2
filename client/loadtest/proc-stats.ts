// Reads a process's CPU time and memory from /proc (Linux), and the kernel's TCP buffer memory.
import { readFileSync } from 'node:fs';

const CLOCK_TICKS = 100; // USER_HZ on every Linux we run on
const PAGE = 4096;

export interface ProcSample {
  /** user + system CPU seconds since the process started (all threads) */
  cpuSeconds: number;
  rssBytes: number;
  /** peak RSS since the process started */
  hwmBytes: number;
}

export function readProc(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): utime is field 14, stime 15, rss (pages) 24
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    const status = readFileSync(`/proc/${pid}/status`, 'latin1');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { cpuSeconds, rssBytes: kb('VmRSS') || Number(fields[21]) * PAGE, hwmBytes: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** Kernel memory held by TCP socket buffers, machine-wide (`TCP: ... mem N` pages in /proc/net/sockstat). */
export function readTcpMemBytes(): number | null {
  try {
    const m = /^TCP:.*\bmem (\d+)/m.exec(readFileSync('/proc/net/sockstat', 'latin1'));
    return m ? Number(m[1]) * PAGE : null;
  } catch {
    return null;
  }
}

export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Machine-wide CPU seconds spent busy (every core, every process), from /proc/stat: the generator's headroom is
 * what the machine had left, not only what the generator itself used. */
export function readMachineCpu(): { busy: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0];
    const t = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal: idle and iowait are not busy
    const busy = t.slice(0, 8).reduce((a, b) => a + b, 0) - t[3] - t[4];
    return { busy: busy / CLOCK_TICKS };
  } catch {
    return null;
  }
}
