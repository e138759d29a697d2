// Bundles every page (client/pages/<name>/main.ts) and its workers (client/pages/<name>/*.worker.ts) into client/dist.
// Pages are discovered by listing folders, so a new page needs no change here.
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const clientDir = fileURLToPath(new URL('.', import.meta.url));
const pagesDir = join(clientDir, 'pages');
export const distDir = join(clientDir, 'dist');

/** Output name (without .js) -> source file. Workers are named `<page>.<file>` e.g. present.capture.worker. */
export function clientEntryPoints(): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const page of readdirSync(pagesDir, { withFileTypes: true })) {
    if (!page.isDirectory()) continue;
    const dir = join(pagesDir, page.name);
    if (existsSync(join(dir, 'main.ts'))) entries[page.name] = join(dir, 'main.ts');
    for (const file of readdirSync(dir)) {
      if (file.endsWith('.worker.ts')) entries[`${page.name}.${file.slice(0, -'.ts'.length)}`] = join(dir, file);
    }
  }
  return entries;
}

/** Minified by default (the viewer page loads over slow links too); source maps are linked for debugging. */
export async function buildClient(opts: { minify?: boolean } = {}): Promise<void> {
  const result = await build({
    entryPoints: clientEntryPoints(),
    outdir: distDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // Pages rely on OffscreenCanvas in workers, requestVideoFrameCallback and top-level await.
    target: ['chrome111', 'firefox115', 'safari16.4'],
    minify: opts.minify ?? true,
    sourcemap: 'linked',
    logLevel: 'warning',
    legalComments: 'none',
    write: false,
  });
  // Each file is replaced by a rename, so a server (or a second build running at the same time, as test files
  // do) never serves a half-written bundle.
  mkdirSync(distDir, { recursive: true });
  for (const file of result.outputFiles) {
    const temp = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temp, file.contents);
    renameSync(temp, file.path);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  await buildClient({ minify: !process.argv.includes('--no-minify') });
  console.log(
    `client built into ${distDir} in ${Date.now() - started} ms: ${Object.keys(clientEntryPoints()).join(', ')}`,
  );
}
