// Launches Debian's Chromium headless with tab capture pre-approved: getDisplayMedia() picks the tab whose title is
// CONTENT_TITLE without a dialog.
import { type Browser, type Page, chromium } from 'playwright-core';

export const CONTENT_TITLE = 'tilecast-e2e-content';
export const CAPTURE_SIZE = { width: 960, height: 540 };
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--auto-select-tab-capture-source-by-title=${CONTENT_TITLE}`,
      // Tab capture sees the real window, not Playwright's emulated viewport: this is the captured picture's size.
      `--window-size=${CAPTURE_SIZE.width},${CAPTURE_SIZE.height}`,
      // Tabs that are not in front must keep their timers and rendering at full speed.
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
    ],
  });
}

/** Collects console errors and uncaught exceptions of a page: the pages must have none. */
export function watchConsole(page: Page, name: string, problems: string[]): void {
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`${name} console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`${name} page error: ${err.message}`));
}
