// Files in the recordings folder are opened without following symbolic links: a link planted in the folder must
// not let a request read, repair (truncate and rewrite) or lock a file elsewhere. O_NOFOLLOW makes the open itself
// fail with ELOOP when the last path component is a link, so there is no window between a check and the open.
import { constants } from 'node:fs';
import { type FileHandle, lstat, open } from 'node:fs/promises';

const { O_RDONLY, O_RDWR, O_NOFOLLOW } = constants;

export function openNoFollow(file: string, mode: 'r' | 'r+'): Promise<FileHandle> {
  return open(file, (mode === 'r' ? O_RDONLY : O_RDWR) | O_NOFOLLOW);
}

/** lstat of a path that must be a regular file (not a link, not a folder); null when it is not, or is missing. */
export async function regularFile(file: string): Promise<{ size: number; mtimeMs: number } | null> {
  try {
    const st = await lstat(file);
    return st.isFile() ? { size: st.size, mtimeMs: st.mtimeMs } : null;
  } catch {
    return null;
  }
}
