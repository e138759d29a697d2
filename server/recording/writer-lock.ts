// A `<file>.lock` holding the writer's pid, present while a recording is written. Another process (a second server
// on the same folder) then reads the file without repairing it; a lock whose process is gone (SIGKILL) is stale.
import { writeFileSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { openNoFollow } from './no-follow';

const lockPath = (file: string) => `${file}.lock`;

/** Taken right after the file is created, before anything else can see it. */
export function takeWriterLock(file: string): void {
  writeFileSync(lockPath(file), String(process.pid), { flag: 'wx', mode: 0o640 });
}

export async function releaseWriterLock(file: string): Promise<void> {
  await unlink(lockPath(file)).catch(() => {});
}

/** True when a live process other than this one holds the file's lock. */
export async function writtenElsewhere(file: string): Promise<boolean> {
  let pid: number;
  try {
    const handle = await openNoFollow(lockPath(file), 'r');
    try {
      pid = Number((await handle.readFile('utf8')).trim());
    } finally {
      await handle.close();
    }
  } catch {
    return false;
  }
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
