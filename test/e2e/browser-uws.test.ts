// The main end-to-end run on the uWebSockets.js engine: a real tab captured by the presenter page, two viewers
// (one throttled by CDP), a late joiner, the lobby, and the end of the room. Screenshots go to test-artifacts/.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canvasShot,
  lastCapturedFrame,
  presenterSettled,
  viewerHistory,
  viewerStats,
  waitForPicture,
  waitForPresenterLive,
  waitForState,
} from './pictures';
import { ARTIFACTS, type Session, runAnimation, startSession, startSharing } from './session';
import type { Page } from 'playwright-core';

/** WebP at quality 0.85 (the default) is lossy: a tile differs a little from the captured pixels. */
const WEBP_LIMITS = { mean: 4, badFraction: 0.03 };
const THROTTLE_KBPS = Number(process.env.E2E_THROTTLE_KBPS ?? 300);
const STEPS = 120;

describe('browser end to end (uws engine)', () => {
  let s: Session;
  let fast: Page;
  let slow: Page;
  const log = (...args: unknown[]) => console.log('[e2e uws]', ...args);

  beforeAll(async () => {
    s = await startSession('uws');
  });
  afterAll(async () => {
    await s?.close();
  });

  it('shows "waiting" to viewers that arrive before the presenter shares', async () => {
    fast = await s.openViewer('viewer-fast');
    slow = await s.openViewer('viewer-throttled', { throttleKbps: THROTTLE_KBPS });
    await waitForState(fast, 'waiting');
    await waitForState(slow, 'waiting');
    await fast.screenshot({ path: `${ARTIFACTS}uws-viewer-waiting.png` });
  });

  // The throttled viewer's backlog sits in kernel socket buffers the server cannot see (it logs 0 bytes buffered),
  // so the viewer itself notices it is seconds behind and rejoins at the live picture ("catch-up").
  it('shares a real tab; both viewers converge to the last captured frame, the throttled one with fewer frames', async () => {
    await startSharing(s);
    await waitForPresenterLive(fast);
    await waitForPresenterLive(slow);
    await s.presenter.waitForFunction(() => document.getElementById('stat-viewers')?.textContent === '2');
    const started = Date.now();
    await runAnimation(s.content, STEPS);
    const animationMs = Date.now() - started;
    const framesSent = await presenterSettled(s.presenter);
    // Counted when the presenter has sent its last frame: the throttled viewer is still far behind then.
    const fastAtEnd = await viewerStats(fast);
    const slowAtEnd = await viewerStats(slow);
    // The server's side of the same moment: what it has written into each viewer's socket.
    const serverSide = (await (await fetch(`${s.server.url}/api/rooms/${s.room.id}/viewers`)).json()) as {
      viewers: { bytesOut: number; syncs: number; coalesced: number; buffered: number }[];
    };
    const expected = await lastCapturedFrame(s.presenter);
    writeFileSync(`${ARTIFACTS}uws-presenter-last-frame.png`, expected);

    const fastMatch = await waitForPicture(fast, expected, WEBP_LIMITS);
    const slowMatch = await waitForPicture(slow, expected, WEBP_LIMITS, 45_000);
    const fastStats = await viewerStats(fast);
    const slowStats = await viewerStats(slow);
    log(`animation ${STEPS} steps in ${animationMs} ms; presenter sent ${framesSent} frames`);
    log(
      `when the presenter finished: fast viewer had ${fastAtEnd.frames} frames, throttled viewer ${slowAtEnd.frames}`,
    );
    log(
      `server per viewer then: ${serverSide.viewers.map((v) => `${(v.bytesOut / 1024).toFixed(0)} KiB written, ${v.syncs} syncs, ${v.coalesced} coalesced, ${v.buffered} B buffered`).join(' | ')}`,
    );
    log(
      `fast viewer: ${fastStats.frames} frames, ${(fastStats.bytes / 1024).toFixed(0)} KiB, ${fastStats.skipped} tiles skipped, diff mean ${fastMatch.diff.mean.toFixed(2)} bad ${(fastMatch.diff.badFraction * 100).toFixed(2)}% (matched after ${fastMatch.waitedMs} ms)`,
    );
    log(
      `throttled viewer (${THROTTLE_KBPS} kbit/s): ${slowStats.frames} frames, ${(slowStats.bytes / 1024).toFixed(0)} KiB, ${slowStats.skipped} tiles skipped, ${slowStats.resyncs} catch-ups, diff mean ${slowMatch.diff.mean.toFixed(2)} bad ${(slowMatch.diff.badFraction * 100).toFixed(2)}% (matched after ${slowMatch.waitedMs} ms)`,
    );

    await canvasShot(fast, `${ARTIFACTS}uws-viewer-fast-canvas.png`);
    await canvasShot(slow, `${ARTIFACTS}uws-viewer-throttled-canvas.png`);
    await fast.evaluate(() => {
      (window as unknown as { tilecastViewer: { setMode(m: string): void } }).tilecastViewer.setMode('fit');
      document.getElementById('toggle-stats')!.click();
    });
    await fast.screenshot({ path: `${ARTIFACTS}uws-viewer-fast.png`, animations: 'disabled' });
    await slow.screenshot({ path: `${ARTIFACTS}uws-viewer-throttled.png` });
    await s.presenter.screenshot({ path: `${ARTIFACTS}uws-presenter.png` });
    // The presenter's own read-outs saw the frames go out.
    const presenterStats = await s.presenter.evaluate(() =>
      (
        window as unknown as { tilecastPresenter: { stats(): { frames: number; tiles: number; bytes: number } } }
      ).tilecastPresenter.stats(),
    );
    expect(presenterStats.frames).toBe(framesSent);
    expect(presenterStats.tiles / presenterStats.frames).toBeGreaterThan(1);

    for (const m of [fastMatch, slowMatch]) {
      expect(m.diff.mean).toBeLessThanOrEqual(WEBP_LIMITS.mean);
      expect(m.diff.badFraction).toBeLessThanOrEqual(WEBP_LIMITS.badFraction);
    }
    expect(slowAtEnd.frames).toBeLessThan(fastAtEnd.frames);
    // The throttled viewer acks what it painted, so the server skips frames for it instead of queueing them
    // in socket buffers: coalescing happens on the server. (The viewer's own `skipped` sums what its syncs
    // reported, which misses what was still owed to a connection its lag guard dropped (a 200 KiB first picture
    // at 300 kbit/s can trigger one), so the server's figure is used.)
    expect(Math.max(...serverSide.viewers.map((v) => v.coalesced))).toBeGreaterThan(0);
    expect(slowStats.frames).toBeLessThan(fastStats.frames);
    expect(slowStats.decodeErrors + fastStats.decodeErrors).toBe(0);
    expect(await viewerHistory(slow)).not.toContain('error');
    expect(await viewerHistory(slow)).not.toContain('offline');
  });

  // The < 500 ms target is judged in `npm run bench:browser`, from a browser of the viewer's own; here the viewer
  // loads beside a presenter that captures and encodes in the same headless Chromium, while the other e2e files'
  // browsers run too. 2026-12-02, 2-core VM with Chromium 156: 1838 and 2185 ms in that e2e phase of `npm test`, 984
  // ms with this file alone next to two busy loops; this VM's Chromium loads pages slower (the bench's join:
  // DOMContentLoaded at ~1.0 s, 0.12-0.22 s on the VM and Chromium of the day before, where this stayed under 2 s).
  it('a late joiner sees the full picture within 4 s', async () => {
    const expected = await lastCapturedFrame(s.presenter);
    const late = await s.openViewer('viewer-late');
    const match = await waitForPicture(late, expected, WEBP_LIMITS, 5_000);
    const firstFrameAt = (await viewerStats(late)).firstFrameAt;
    log(
      `late joiner: first picture ${firstFrameAt?.toFixed(0)} ms after navigation start; diff mean ${match.diff.mean.toFixed(2)}`,
    );
    await late.screenshot({ path: `${ARTIFACTS}uws-viewer-late.png` });
    expect(firstFrameAt).not.toBeNull();
    expect(firstFrameAt!).toBeLessThan(4000);
    expect(match.diff.mean).toBeLessThanOrEqual(WEBP_LIMITS.mean);
  });

  it('the lobby creates a room with copyable links and lists the live room with a thumbnail', async () => {
    const lobby = await s.openPage('lobby', '/');
    await lobby.fill('#room-name', 'Design review');
    await lobby.click('#create');
    await lobby.locator('#result').waitFor();
    const presenterLink = await lobby.inputValue('#presenter-link');
    const viewerLink = await lobby.inputValue('#viewer-link');
    expect(presenterLink).toMatch(new RegExp(`^${s.server.url}/present/[\\w-]+\\?token=`));
    expect(viewerLink).toMatch(new RegExp(`^${s.server.url}/view/[\\w-]+$`));
    await lobby.click('#copy-viewer');
    expect(await lobby.evaluate(() => navigator.clipboard.readText())).toBe(viewerLink);
    expect(await lobby.textContent('#copy-viewer')).toBe('Copied');
    // A private room: the viewer link carries its token, and the presenter link hands it to the presenter page.
    await lobby.check('#room-private');
    await lobby.click('#create');
    await lobby.waitForFunction(
      (before) => (document.getElementById('viewer-link') as HTMLInputElement).value !== before,
      viewerLink,
    );
    const privateViewer = new URL(await lobby.inputValue('#viewer-link'));
    const privatePresenter = new URL(await lobby.inputValue('#presenter-link'));
    expect(privateViewer.searchParams.get('token')).toBeTruthy();
    expect(privatePresenter.searchParams.get('viewerToken')).toBe(privateViewer.searchParams.get('token'));
    const card = lobby.locator(`.room-card[data-room="${s.room.id}"]`);
    await card.waitFor({ timeout: 10_000 });
    await card
      .locator('img')
      .evaluate((img: HTMLImageElement) =>
        img.complete && img.naturalWidth > 0
          ? null
          : new Promise((ok, fail) => ((img.onload = ok), (img.onerror = fail))),
      );
    expect(await card.locator('.pill').textContent()).toBe('Live');
    // Two public rooms are listed; the private one is not (rooms lists show private rooms to the admin only).
    await lobby.locator('.room-card').nth(1).waitFor();
    expect(await lobby.locator(`.room-card[data-room="${privateViewer.pathname.split('/').pop()}"]`).count()).toBe(0);
    await lobby.screenshot({ path: `${ARTIFACTS}uws-lobby.png`, fullPage: true, animations: 'disabled' });
  });

  it('stopping the share shows "ended" on every viewer', async () => {
    await s.presenter.click('#stop');
    await waitForState(s.presenter, 'ended');
    const viewers = s.pages.filter((p) => p.url().includes('/view/'));
    expect(viewers.length).toBe(3);
    for (const v of viewers) await waitForState(v, 'ended');
    await fast.screenshot({ path: `${ARTIFACTS}uws-viewer-ended.png` });
    await s.presenter.screenshot({ path: `${ARTIFACTS}uws-presenter-ended.png` });
    expect(s.problems).toEqual([]);
  });
});
