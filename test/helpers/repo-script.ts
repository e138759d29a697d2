// Runs one of the repository's Node entry points as a user would (its own process, from the repository root) and
// waits for it: the CLI tests and the bench smokes judge its exit status, output and files.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');

/** `node ...args` in the repository root; a TypeScript entry point needs `--import tsx` first. */
export function runRepoScript(args: string[], timeoutMs: number): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: timeoutMs });
}
