// CPU time of this process's Chromium children, per process, read from /proc (Linux): lets the bench report cores
// used by the presenter's renderer (its page and workers) and by the whole browser.
import { readFileSync, readdirSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

function stat(pid: number): { ppid: number; cpuMs: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS };
  } catch {
    return null;
  }
}

/** CPU ms of every descendant of `root`, by pid. */
export function descendantsCpu(root = process.pid): Map<number, number> {
  const all = new Map<number, { ppid: number; cpuMs: number }>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!pid) continue;
    const s = stat(pid);
    if (s) all.set(pid, s);
  }
  const out = new Map<number, number>();
  const inTree = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 20; hops++) {
      const s = all.get(p);
      if (!s) return false;
      if (s.ppid === root) return true;
      p = s.ppid;
    }
    return false;
  };
  for (const [pid, s] of all) if (inTree(pid)) out.set(pid, s.cpuMs);
  return out;
}

export function cpuDelta(before: Map<number, number>, after: Map<number, number>): Map<number, number> {
  const d = new Map<number, number>();
  for (const [pid, ms] of after) d.set(pid, ms - (before.get(pid) ?? 0));
  return d;
}
