// The presenter's frame audit in real Chromium: a captured frame dropped without close() is reported as a console
// error once the page collects it; closed frames are not. (The e2e sessions rely on this report, not on
// Chromium's own unclosed-frame warning: see client/pages/present/frame-audit.ts.)
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, modulePage } from './browser';

describe('presenter frame audit (Chromium)', () => {
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await modulePage(
      browser,
      'audit',
      'frame audit',
      "import { auditClose } from './client/pages/present/frame-audit'; (window as any).auditClose = auditClose;",
      problems,
    );
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
    while (problems.length === 0 && Date.now() < deadline) await collect();
    expect(problems).toEqual([
      'audit console error: tilecast capture: a captured VideoFrame was garbage collected without being closed (timestamp 2)',
    ]);
  });
});
