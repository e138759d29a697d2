// The presenter's frame audit in real Chromium: a captured frame dropped without close() is reported as a console
// error once the page collects it; closed frames are not. (The e2e sessions rely on this report, not on
// Chromium's own unclosed-frame warning: see client/pages/present/frame-audit.ts.)
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, pageBundle } from './browser';

describe('presenter frame audit (Chromium)', () => {
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.newPage();
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    // WebCodecs needs a secure context: a localhost URL Playwright answers itself.
    const url = 'http://localhost:9/audit.html';
    await page.route(url, (r) => r.fulfill({ body: '<!doctype html><title>audit</title>', contentType: 'text/html' }));
    await page.goto(url);
    await page.addScriptTag({
      content: await pageBundle(
        "import { auditClose } from './client/pages/present/frame-audit'; (window as any).auditClose = auditClose;",
      ),
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  const collect = async () => {
    const cdp = await page.context().newCDPSession(page);
    for (let i = 0; i < 3; i++) {
      await cdp.send('HeapProfiler.collectGarbage');
      await new Promise((r) => setTimeout(r, 100));
    }
    await cdp.detach();
  };

  it('reports a frame collected without close(), and only that one', async () => {
    await page.evaluate(() => {
      const audit = (window as unknown as { auditClose(f: VideoFrame): VideoFrame }).auditClose;
      const make = (timestamp: number) =>
        new VideoFrame(new Uint8Array(16 * 16 * 4), { format: 'RGBA', codedWidth: 16, codedHeight: 16, timestamp });
      audit(make(1)).close();
      audit(make(2)); // dropped open
    });
    const deadline = Date.now() + 10_000;
    while (!errors.some((e) => e.startsWith('tilecast capture')) && Date.now() < deadline) await collect();
    const ours = errors.filter((e) => e.startsWith('tilecast capture'));
    expect(ours).toEqual([
      'tilecast capture: a captured VideoFrame was garbage collected without being closed (timestamp 2)',
    ]);
  });
});
