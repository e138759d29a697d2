// Runs one of the repository's Node entry points as a user would (its own process, from the repository root) and
// waits for it: the CLI tests and the bench smokes judge its exit status, output and files.
import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';

export const REPO_ROOT = path.resolve(__dirname, '../..');

/** `node ...args` in the repository root; a TypeScript entry point needs `--import tsx` first. */
export function runRepoScript(args: string[], timeoutMs: number): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: timeoutMs });
}

/**
 * Runs a bench entry point (`client/bench/.../main.ts`) with `args` and `--out` a fresh temporary folder, expects it
 * to exit 0, and returns that folder and the `results.json` it wrote.
 */
export function runBench<R>(entry: string, args: string[], timeoutMs: number): { out: string; results: R } {
  const out = mkdtempSync(path.join(os.tmpdir(), 'tilecast-bench-'));
  const run = runRepoScript(['--import', 'tsx', entry, ...args, '--out', out], timeoutMs);
  expect(run.status, run.stderr || run.stdout).toBe(0);
  return { out, results: JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8')) as R };
}
