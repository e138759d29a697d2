// One bench session: a tilecast server in-process (one engine), Chromium at one window size, the fixture tab, a
// presenter page sharing it and one viewer page. Classes are then played one after another on the same session.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type TilecastServer, startServer } from '../../../server/app';
import { isChromiumUnclosedFrameWarning, launchChromium, launchViewerChromium } from './chromium';
import { cpuDelta, descendantsCpu } from './cpu';
import { PRESENTER_PROBE, VIEWER_PROBE } from './probes';

// localhost is a secure context: the VP9 reference needs WebCodecs. Playwright serves the page; nothing listens.
const FIXTURE_URL = 'http://localhost:9/bench.html';
const FIXTURE = readFileSync(fileURLToPath(new URL('./fixture.html', import.meta.url)), 'utf8');

export interface BenchSession {
  server: TilecastServer;
  browser: Browser;
  content: Page;
  presenter: Page;
  viewer: Page;
  viewerUrl: string;
  /** pid of the presenter page's renderer (its workers are threads of it) */
  presenterPid: number | null;
  contexts: BrowserContext[];
  problems: string[];
  close(): Promise<void>;
}

/** Sizes the content tab's window so that its page (the captured picture) is exactly width x height. */
export async function sizeContent(content: Page, width: number, height: number): Promise<void> {
  const cdp = await content.context().newCDPSession(content);
  const { windowId } = (await cdp.send('Browser.getWindowForTarget')) as { windowId: number };
  const [ow, oh, iw, ih] = await content.evaluate(() => [outerWidth, outerHeight, innerWidth, innerHeight]);
  await cdp.send('Browser.setWindowBounds', { windowId, bounds: { width: width + ow - iw, height: height + oh - ih } });
  await content.waitForFunction(([w, h]) => innerWidth === w && innerHeight === h, [width, height], { timeout: 5000 });
  await cdp.detach();
}

export async function openBenchSession(
  engine: 'uws' | 'ws',
  width: number,
  height: number,
  presenterQuery = '',
  /** 'own': the viewer page runs in a Chromium of its own, as on a viewer's machine (same cores here) */
  viewerBrowserKind: 'same' | 'own' = 'same',
): Promise<BenchSession> {
  const server = await startServer({ port: 0, engine, logLevel: 'warn' }, process.env);
  const browser = await launchChromium(width, height);
  const problems: string[] = [];
  let closing = false;
  const watch = (page: Page, name: string) => {
    page.on(
      'console',
      (m) =>
        !closing &&
        m.type() === 'error' &&
        !isChromiumUnclosedFrameWarning(m.text()) &&
        problems.push(`${name}: ${m.text()}`),
    );
    page.on('pageerror', (e) => !closing && problems.push(`${name}: ${e.message}`));
  };
  const context = await browser.newContext({ viewport: null });
  await context.route(`${FIXTURE_URL}*`, (r) => r.fulfill({ body: FIXTURE, contentType: 'text/html' }));
  const content = await context.newPage();
  watch(content, 'content');
  await content.goto(FIXTURE_URL);
  await sizeContent(content, width, height);

  const res = await fetch(`${server.url}/api/rooms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: `bench ${engine}` }),
  });
  if (res.status !== 201) throw new Error(`creating a room failed: ${res.status} ${await res.text()}`);
  const room = (await res.json()) as { presenterUrl: string; viewerUrl: string };

  const presenter = await context.newPage();
  await presenter.addInitScript({ content: PRESENTER_PROBE });
  watch(presenter, 'presenter');
  await presenter.goto(`${server.url}${room.presenterUrl}${presenterQuery}`);
  await presenter.bringToFront();
  await presenter.click('#share');
  await presenter.waitForFunction(() => document.body.dataset.state === 'live', null, { timeout: 15_000 });

  const viewerBrowser = viewerBrowserKind === 'own' ? await launchViewerChromium() : browser;
  const viewerContext = await viewerBrowser.newContext({ viewport: { width: 1100, height: 700 } });
  const viewer = await viewerContext.newPage();
  await viewer.addInitScript({ content: VIEWER_PROBE });
  watch(viewer, 'viewer');
  const viewerUrl = `${server.url}${room.viewerUrl}`;
  await viewer.goto(viewerUrl);
  await viewer.waitForFunction(() => ['live', 'loading'].includes(document.body.dataset.state ?? ''), null, {
    timeout: 15_000,
  });

  // Find the presenter's renderer: the one process that takes the CPU a busy loop in that page burns.
  const before = descendantsCpu();
  await presenter.evaluate(() => (window as unknown as { __burn(ms: number): void }).__burn(600));
  const burned = [...cpuDelta(before, descendantsCpu())].sort((a, b) => b[1] - a[1]);
  const presenterPid = burned[0] && burned[0][1] >= 300 ? burned[0][0] : null;

  const contexts = [context, viewerContext];
  return {
    server,
    browser,
    content,
    presenter,
    viewer,
    viewerUrl,
    presenterPid,
    contexts,
    problems,
    async close() {
      // The share ends as a user ends it, so whatever that leaves behind (a frame never closed) is still reported;
      // then the pages are torn down unheard: a page closed mid-frame drops what it holds, which is not the app's.
      const stopped = await presenter
        .evaluate(() => {
          const stop = document.querySelector<HTMLButtonElement>('#stop');
          if (!stop || stop.disabled) return false;
          stop.click();
          return true;
        })
        .catch(() => false);
      if (stopped)
        await presenter
          .waitForFunction(() => document.body.dataset.state === 'ended', null, { timeout: 5000 })
          .catch(() => {});
      closing = true;
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close().catch(() => {});
      if (viewerBrowser !== browser) await viewerBrowser.close().catch(() => {});
      await server.close();
    },
  };
}
