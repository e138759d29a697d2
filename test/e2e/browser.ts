// Launches Debian's Chromium headless with tab capture pre-approved: getDisplayMedia() picks the tab whose title is
// CONTENT_TITLE without a dialog. Also the helpers the Chromium tests share (console watch, the Display bundle).
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { launchCapturingChromium } from '../../client/bench/browser/chromium';

export const CONTENT_TITLE = 'tilecast-e2e-content';
export const CAPTURE_SIZE = { width: 960, height: 540 };

export function launchBrowser(): Promise<Browser> {
  return launchCapturingChromium(CONTENT_TITLE, CAPTURE_SIZE.width, CAPTURE_SIZE.height);
}

/** Collects console errors and uncaught exceptions of a page: the pages must have none. */
export function watchConsole(page: Page, name: string, problems: string[]): void {
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`${name} console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`${name} page error: ${err.message}`));
}

/** The viewer's Display alone, bundled on the fly for a blank page: it sets `window.Display`. */
export async function displayBundle(): Promise<string> {
  const result = await build({
    stdin: {
      contents: "import { Display } from './client/lib/display'; (window as any).Display = Display;",
      resolveDir: fileURLToPath(new URL('../../', import.meta.url)),
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
  });
  return result.outputFiles[0].text;
}
