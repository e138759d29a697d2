// One end-to-end session: a server in-process, Chromium, the content tab, a presenter page sharing it, and viewers.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildClient } from '../../client/build';
import { type TilecastServer, startServer } from '../../server/app';
import { launchBrowser, watchConsole } from './browser';

export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const CONTENT_URL = 'http://content.tilecast.test/content.html';
const CONTENT_FILE = fileURLToPath(new URL('./fixtures/content.html', import.meta.url));

export interface Room {
  id: string;
  presenterUrl: string;
  viewerUrl: string;
}

export interface Session {
  server: TilecastServer;
  browser: Browser;
  /** the presenter's context: content tab and presenter page (tab capture only picks tabs of the same profile) */
  context: BrowserContext;
  content: Page;
  presenter: Page;
  room: Room;
  problems: string[];
  /**
   * `cachedAssets`: the page's script and style are fetched (unthrottled) into the context's HTTP cache first, as
   * for a returning viewer; the viewer page opens its socket while its script loads, so on a cold throttled page
   * the script shares the slow link with the picture
   */
  openViewer(name: string, opts?: { throttleKbps?: number; query?: string; cachedAssets?: boolean }): Promise<Page>;
  /** any page of the server in a fresh context (lobby...) */
  openPage(name: string, path: string): Promise<Page>;
  /** every page opened through openViewer / openPage */
  pages: Page[];
  close(): Promise<void>;
}

let built: Promise<void> | null = null;

export async function startSession(engine: 'uws' | 'ws', presenterQuery = ''): Promise<Session> {
  mkdirSync(ARTIFACTS, { recursive: true });
  built ??= buildClient();
  await built;
  const server = await startServer({ port: 0, engine, logLevel: 'warn' });
  const browser = await launchBrowser();
  const problems: string[] = [];
  const contexts: BrowserContext[] = [];

  // No viewport emulation for the captured tab: it must render at the window's real size.
  const context = await browser.newContext({ viewport: null });
  contexts.push(context);
  await context.route(`${CONTENT_URL}*`, (route) => route.fulfill({ path: CONTENT_FILE, contentType: 'text/html' }));
  const content = await context.newPage();
  watchConsole(content, 'content', problems);
  await content.goto(CONTENT_URL);

  const res = await fetch(`${server.url}/api/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: `e2e ${engine}` }),
  });
  if (res.status !== 201) throw new Error(`creating a room failed: ${res.status} ${await res.text()}`);
  const room = (await res.json()) as Room;

  const presenter = await context.newPage();
  await presenter.setViewportSize({ width: 1280, height: 800 });
  watchConsole(presenter, 'presenter', problems);
  await presenter.goto(`${server.url}${room.presenterUrl}${presenterQuery}`);

  const pages: Page[] = [];
  const openPage = async (name: string, path: string) => {
    const ctx = await browser.newContext({
      viewport: { width: 1100, height: 700 },
      permissions: ['clipboard-read', 'clipboard-write'],
    });
    contexts.push(ctx);
    const page = await ctx.newPage();
    watchConsole(page, name, problems);
    pages.push(page);
    await page.goto(`${server.url}${path}`);
    return page;
  };

  return {
    server,
    pages,
    openPage,
    browser,
    context,
    content,
    presenter,
    room,
    problems,
    async openViewer(name, opts = {}) {
      const ctx = await browser.newContext({ viewport: { width: 1100, height: 700 } });
      contexts.push(ctx);
      const page = await ctx.newPage();
      watchConsole(page, name, problems);
      pages.push(page);
      if (opts.cachedAssets) {
        // Fetched from a page of the same site (the HTTP cache is partitioned by it): the lobby.
        await page.goto(`${server.url}/`);
        await page.evaluate(() =>
          Promise.all(['/assets/view.js', '/assets/tilecast.css'].map((u) => fetch(u).then((r) => r.text()))),
        );
      }
      if (opts.throttleKbps) {
        const cdp = await ctx.newCDPSession(page);
        await cdp.send('Network.enable');
        const bytesPerSecond = (opts.throttleKbps * 1000) / 8;
        await cdp.send('Network.emulateNetworkConditions', {
          offline: false,
          latency: 40,
          downloadThroughput: bytesPerSecond,
          uploadThroughput: bytesPerSecond,
        });
      }
      const sep = room.viewerUrl.includes('?') ? '&' : '?';
      await page.goto(`${server.url}${room.viewerUrl}${opts.query ? sep + opts.query : ''}`);
      return page;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close().catch(() => {});
      await server.close();
    },
  };
}

export async function startSharing(s: Session): Promise<void> {
  await s.presenter.bringToFront();
  await s.presenter.click('#share');
  try {
    await s.presenter.waitForFunction(() => document.body.dataset.state === 'live', null, { timeout: 15_000 });
  } catch (err) {
    const [state, banner] = await s.presenter.evaluate(() => [
      document.body.dataset.state,
      document.getElementById('banner')?.textContent,
    ]);
    throw new Error(
      `the presenter did not go live (state ${state}, banner ${JSON.stringify(banner)}): ${(err as Error).message}`,
    );
  }
}

export async function runAnimation(content: Page, steps: number, fps = 30): Promise<void> {
  await content.evaluate(
    ([n, f]) => (window as unknown as { startAnimation(n: number, f: number): Promise<number> }).startAnimation(n, f),
    [steps, fps],
  );
}

export function viewerState(page: Page): Promise<string> {
  return page.evaluate(() => document.body.dataset.state ?? '');
}
