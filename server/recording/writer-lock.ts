// A `<file>.lock` holding the writer's pid and this process's run token, present while a recording is written.
// Any other writer (a second server on the same folder, or another RecordingStore in this process) then reads the
// file without repairing it; a lock whose process is gone (SIGKILL) is stale, and so is one with this pid but
// another run token (a container restarted with the same pid).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { openNoFollow } from './no-follow';

const lockPath = (file: string) => `${file}.lock`;
const RUN = randomBytes(6).toString('hex');

/** Taken right after the file is created, before anything else can see it. */
export function takeWriterLock(file: string): void {
  writeFileSync(lockPath(file), `${process.pid} ${RUN}`, { flag: 'wx', mode: 0o640 });
}

export async function releaseWriterLock(file: string): Promise<void> {
  await unlink(lockPath(file)).catch(() => {});
}

/**
 * True when a live writer holds the file's lock: another process, or this one (then the caller, having checked its
 * own recordings first, knows another store writes it).
 */
export async function writtenElsewhere(file: string): Promise<boolean> {
  let pid: number;
  let run: string | undefined;
  try {
    const handle = await openNoFollow(lockPath(file), 'r');
    try {
      const [p, r] = (await handle.readFile('utf8')).trim().split(' ');
      pid = Number(p);
      run = r;
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return run === RUN;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
