// A shorter end-to-end run on the ws engine, lossless (PNG tiles): the viewer's canvas must equal the captured
// frame; the presenter survives a network drop (same token, resumed room) and a window resize (new geometry).
import { writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  lastCapturedFrame,
  presenterSettled,
  viewerHistory,
  waitForPicture,
  waitForPresenterLive,
  waitForState,
} from './pictures';
import { ARTIFACTS, type Session, runAnimation, startSession, startSharing } from './session';

/** PNG is lossless: what is left is rounding in the screenshot path, if any. */
const PNG_LIMITS = { mean: 0.5, badFraction: 0.002 };

describe('browser end to end (ws engine, lossless)', () => {
  let s: Session;
  let viewer: Page;
  const log = (...args: unknown[]) => console.log('[e2e ws]', ...args);

  beforeAll(async () => {
    s = await startSession('ws', '&codec=png&tile=32');
  });
  afterAll(async () => {
    await s?.close();
  });

  async function expectViewerMatches(name: string): Promise<void> {
    await presenterSettled(s.presenter);
    const expected = await lastCapturedFrame(s.presenter);
    writeFileSync(`${ARTIFACTS}ws-${name}-presenter-frame.png`, expected);
    const match = await waitForPicture(viewer, expected, PNG_LIMITS);
    log(
      `${name}: ${match.diff.width}x${match.diff.height}, diff mean ${match.diff.mean.toFixed(3)}, bad ${(match.diff.badFraction * 100).toFixed(3)}%, max ${match.diff.max} (matched after ${match.waitedMs} ms)`,
    );
    await viewer.screenshot({ path: `${ARTIFACTS}ws-${name}-viewer.png` });
    expect(match.diff.mean).toBeLessThanOrEqual(PNG_LIMITS.mean);
    expect(match.diff.badFraction).toBeLessThanOrEqual(PNG_LIMITS.badFraction);
  }

  it('a viewer shows exactly the captured frame (PNG tiles, 32 px)', async () => {
    viewer = await s.openViewer('viewer');
    await startSharing(s);
    await waitForPresenterLive(viewer);
    await runAnimation(s.content, 30);
    await expectViewerMatches('lossless');
  });

  it("the presenter's pointer over the preview shows on the viewer", async () => {
    const box = (await s.presenter.locator('#preview-video').boundingBox())!;
    await s.presenter.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await s.presenter.mouse.move(box.x + box.width / 2 + 20, box.y + box.height / 2 + 10);
    await viewer.locator('.pointer').waitFor({ state: 'visible', timeout: 5_000 });
    await s.presenter.mouse.move(0, 0);
    await viewer.locator('.pointer').waitFor({ state: 'hidden', timeout: 5_000 });
  });

  it('the presenter reconnects by itself after a network drop mid-animation, and viewers see it come back', async () => {
    const animation = runAnimation(s.content, 40);
    await s.presenter.waitForTimeout(300);
    await s.presenter.evaluate(() =>
      (window as unknown as { tilecastPresenter: { drop(): void } }).tilecastPresenter.drop(),
    );
    await viewer.waitForFunction(
      () =>
        (window as unknown as { tilecastViewer: { history(): string[] } }).tilecastViewer
          .history()
          .includes('reconnecting'),
      null,
      { timeout: 10_000 },
    );
    await waitForState(s.presenter, 'live', 15_000);
    await waitForState(viewer, 'live', 15_000);
    const history = await viewerHistory(viewer);
    log(`viewer states: ${history.join(' -> ')}`);
    expect(history).toContain('reconnecting');
    await animation;
    await expectViewerMatches('after-reconnect');
  });

  it('a viewer that loses its connection reconnects by itself and gets the full picture again', async () => {
    await viewer.evaluate(() => (window as unknown as { tilecastViewer: { drop(): void } }).tilecastViewer.drop());
    await waitForState(viewer, 'offline', 5_000);
    await waitForState(viewer, 'live', 15_000);
    const history = await viewerHistory(viewer);
    log(`viewer states: ${history.join(' -> ')}`);
    expect(history.slice(-2)).toEqual(['offline', 'live']);
    await expectViewerMatches('after-viewer-reconnect');
  });

  it('pages for a room that does not exist say so, without console errors', async () => {
    const v = await s.openPage('viewer-missing-room', '/view/no-such-room');
    await waitForState(v, 'error');
    expect(await v.textContent('#state-text')).toContain('does not exist');
    await v.screenshot({ path: `${ARTIFACTS}ws-viewer-missing-room.png` });
    const p = await s.openPage('presenter-missing-room', '/present/no-such-room?token=x');
    await p.click('#share');
    await waitForState(p, 'error', 15_000);
    expect(await p.textContent('#banner')).toContain('does not exist');
  });

  it('a window resize reaches the viewer as a new geometry', async () => {
    const cdp = await s.context.newCDPSession(s.content);
    const { windowId } = await cdp.send('Browser.getWindowForTarget');
    await cdp.send('Browser.setWindowBounds', { windowId, bounds: { width: 800, height: 520 } });
    await s.content.waitForFunction(() => innerWidth === 800);
    await runAnimation(s.content, 10);
    await viewer.waitForFunction(() => (document.getElementById('screen') as HTMLCanvasElement).width === 800, null, {
      timeout: 10_000,
    });
    await expectViewerMatches('after-resize');
  });

  it('a reloaded presenter page resumes the room (here with the <video> frame pump instead of the track processor)', async () => {
    await s.presenter.goto(`${s.presenter.url()}&source=video`);
    await waitForState(viewer, 'reconnecting');
    await startSharing(s);
    await waitForState(viewer, 'live');
    await runAnimation(s.content, 10);
    await expectViewerMatches('after-reload');
    expect(s.problems).toEqual([]);
  });
});
