// Launches Debian's Chromium headless with tab capture pre-approved: getDisplayMedia() picks the tab whose title is
// CONTENT_TITLE without a dialog. Also the helpers the Chromium tests share (console watch, the Display bundle).
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { isChromiumUnclosedFrameWarning, launchCapturingChromium } from '../../client/bench/browser/chromium';

export const CONTENT_TITLE = 'tilecast-e2e-content';
export const CAPTURE_SIZE = { width: 960, height: 540 };

export function launchBrowser(): Promise<Browser> {
  return launchCapturingChromium(CONTENT_TITLE, CAPTURE_SIZE.width, CAPTURE_SIZE.height);
}

/** Collects console errors and uncaught exceptions of a page: the pages must have none. */
export function watchConsole(page: Page, name: string, problems: string[]): void {
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !isChromiumUnclosedFrameWarning(msg.text()))
      problems.push(`${name} console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`${name} page error: ${err.message}`));
}

/** A module of the repository as a script for a blank page: `source` imports from it and sets `window` globals. */
async function pageBundle(source: string): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir: fileURLToPath(new URL('../../', import.meta.url)), loader: 'ts' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
  });
  return result.outputFiles[0].text;
}

/**
 * A blank page running `source` (bundled on the fly, see pageBundle), its console watched into `problems` as `name`.
 * It is served at http://localhost:9 by Playwright itself (nothing listens there) because WebCodecs needs a secure
 * context.
 */
export async function modulePage(
  browser: Browser,
  name: string,
  title: string,
  source: string,
  problems: string[],
): Promise<Page> {
  const page = await browser.newPage();
  watchConsole(page, name, problems);
  const url = `http://localhost:9/${name}.html`;
  await page.route(url, (r) =>
    r.fulfill({ body: `<!doctype html><title>${title}</title><body></body>`, contentType: 'text/html' }),
  );
  await page.goto(url);
  await page.addScriptTag({ content: await pageBundle(source) });
  return page;
}

/** A page holding only the viewer's Display (`window.Display`), its console watched into `problems`. */
export const displayPage = (browser: Browser, title: string, problems: string[]) =>
  modulePage(
    browser,
    'display',
    title,
    "import { Display } from './client/lib/display'; (window as any).Display = Display;",
    problems,
  );
