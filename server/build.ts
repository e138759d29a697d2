// Bundles a Node entry (the server, a bench baseline) into plain JavaScript under dist/, at the entry's own path
// (server/main.ts -> dist/server/main.mjs), so paths a module resolves from import.meta.url keep their depth.
// `npm start` and the bench run these bundles, not TypeScript through tsx: tsx adds a loader thread and ~4 MB of
// heap that V8 marks at every full collection, and a relaying server collects every few seconds (each frame it
// copies is memory V8 counts toward its next full collection). 50 rooms x 20 viewers on uWS, server ticks per
// 10 s, 3 interleaved pairs: 67 / 70 / 70 bundled against 78 / 74 / 77 through tsx.
// Dependencies stay external (resolved from node_modules at run time). Run directly: bundles the server.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SERVER_ENTRY = 'server/main.ts';
/**
 * V8 flags the server runs with (`npm start` passes the same; test/server/node-flags.test.ts checks they agree).
 * They size the heap at start-up, which v8.setFlagsFromString inside the process is too late for. The young
 * generation's semi-spaces are capped at 8 MB (V8's default is 16): a relaying server allocates fast, so V8 grew
 * its new space to the cap within a minute of heavy load and kept it, 16 MB more RSS at the cap of 16 than of 8.
 * The 60 s memory stress (300 viewers, 20% held) grew RSS 38-62 MB in 7 runs at V8's default (4 over 50), 39-45 MB
 * in 5 runs at 8; CPU per GB at 200 viewers and 50 rooms stayed within the runs' noise.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

/** Where the bundle of `entry` (a path from the repository root) goes. */
export function bundlePath(entry: string): string {
  return path.join(root, 'dist', entry.replace(/\.ts$/, '.mjs'));
}

const bundled = new Map<string, Promise<string>>();

/**
 * Bundles `entry` (once per process: every later call gets the same bundle) and returns the bundle's absolute path.
 * Written to a temporary file and renamed into place, so processes bundling the same entry at once (test workers,
 * bench runs) never start a half-written file.
 */
export function bundleNodeEntry(entry: string): Promise<string> {
  let done = bundled.get(entry);
  if (!done) bundled.set(entry, (done = bundle(entry)));
  return done;
}

async function bundle(entry: string): Promise<string> {
  const out = bundlePath(entry);
  const result = await build({
    entryPoints: [path.join(root, entry)],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    write: false,
    logLevel: 'warning',
  });
  mkdirSync(path.dirname(out), { recursive: true });
  for (const file of result.outputFiles) {
    const tmp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(tmp, file.contents);
    renameSync(tmp, file.path);
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  void bundleNodeEntry(SERVER_ENTRY).then((out) => console.log(`server bundled: ${path.relative(root, out)}`));
}
