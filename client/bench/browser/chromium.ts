// Launches Debian's Chromium headless at a given window size with tab capture pre-approved for the bench fixture.
import { type Browser, chromium } from 'playwright-core';

export const BENCH_TITLE = 'tilecast-bench-content';
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Chromium's warning for a VideoFrame collected unclosed. Not counted as a page problem: it also fires for frames
 * lost inside Chromium's transferred track-processor stream, before they reach the presenter's code. That code's
 * own frames are audited by client/pages/present/frame-audit.ts, whose console error ("tilecast capture: ...")
 * still counts.
 */
export const isChromiumUnclosedFrameWarning = (text: string) =>
  text.startsWith('A VideoFrame was garbage collected without being closed');

export function launchChromium(width: number, height: number): Promise<Browser> {
  return launchCapturingChromium(BENCH_TITLE, width, height);
}

/**
 * A browser of its own for a late joiner, as on a viewer's own machine: it shares this machine's cores with the
 * presenter's browser but not that browser's GPU, network and browser processes.
 */
export function launchViewerChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
}

/**
 * Debian's Chromium, headless, with getDisplayMedia() answered by the tab titled `captureTitle` (no dialog) and
 * a window of the given size. Shared by the browser bench and the e2e tests.
 */
export function launchCapturingChromium(captureTitle: string, width: number, height: number): Promise<Browser> {
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
      `--auto-select-tab-capture-source-by-title=${captureTitle}`,
      // Tab capture sees the real window, not an emulated viewport: this is the captured picture's size.
      `--window-size=${width},${height}`,
      // Tabs that are not in front must keep their timers and rendering at full speed.
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
    ],
  });
}
