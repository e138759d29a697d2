// Bundles every page (client/pages/<name>/main.ts) and its workers (client/pages/<name>/*.worker.ts) into client/dist.
// Pages are discovered by listing folders, so a new page needs no change here.
import { existsSync, readdirSync } from 'node:fs';
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

export async function buildClient(opts: { minify?: boolean } = {}): Promise<void> {
  await build({
    entryPoints: clientEntryPoints(),
    outdir: distDir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // Pages rely on OffscreenCanvas in workers, requestVideoFrameCallback and top-level await.
    target: ['chrome111', 'firefox115', 'safari16.4'],
    minify: opts.minify ?? false,
    sourcemap: 'linked',
    logLevel: 'warning',
    legalComments: 'none',
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  await buildClient({ minify: process.argv.includes('--minify') });
  console.log(`client built into ${distDir} in ${Date.now() - started} ms: ${Object.keys(clientEntryPoints()).join(', ')}`);
}
