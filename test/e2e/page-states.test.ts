// What the pages say and show as a user meets them (issue 12, "also fix" items): token errors, each kind of room
// end, a restarting server (1001), loading until the first full paint, the viewer's stats strip, the presenter's
// sent-fps and viewer count after Stop, and lobby cards at several widths. Screenshots go to test-artifacts/.
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TilecastServer } from '../../server/app';
import { encodeFrame, encodeGeometry, encodeStatus } from '../../shared/protocol';
import { type TestClient, connect } from '../helpers/client';
import { ENGINES, createRoom, startTestServer, wsUrl } from '../helpers/server';
import { watchConsole } from './browser';
import { viewerHistory, viewerStats, waitForPresenterLive, waitForState } from './pictures';
import { ARTIFACTS, type Session, runAnimation, startSession, startSharing } from './session';

const GEOMETRY = { width: 128, height: 64, tileSize: 64 };

async function pngTile(rgb: [number, number, number]): Promise<Uint8Array> {
  const raw = Buffer.alloc(64 * 64 * 3);
  for (let i = 0; i < raw.length; i += 3) raw.set(rgb, i);
  return new Uint8Array(
    await sharp(raw, { raw: { width: 64, height: 64, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

/** A presenter over a plain socket that shows one two-tile picture. */
async function nodePresenter(
  server: TilecastServer,
  room: { id: string; presenterToken: string },
): Promise<TestClient> {
  const p = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
  p.send(encodeGeometry(GEOMETRY));
  const payload = await pngTile([40, 120, 200]);
  p.send(
    encodeFrame(
      1,
      Date.now(),
      [0, 1].map((col) => ({ col, row: 0, codec: 'png' as const, payload })),
    ),
  );
  return p;
}

const stateText = (page: Page) => page.textContent('#state-text');

describe.each(ENGINES)('page states (%s engine)', (engine) => {
  let s: Session;
  /** a second server with a 1 s grace period, for presenters that do not come back */
  let quick: TilecastServer;
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: `${ARTIFACTS}${engine}-states-${name}.png`, animations: 'disabled' });

  beforeAll(async () => {
    s = await startSession(engine);
    quick = await startTestServer(engine, { graceSeconds: 1 });
  });
  afterAll(async () => {
    await s?.close();
    await quick?.close();
  });

  async function openAt(server: TilecastServer, name: string, path: string, width = 1100, height = 700): Promise<Page> {
    const ctx = await s.browser.newContext({ viewport: { width, height } });
    const page = await ctx.newPage();
    watchConsole(page, name, s.problems);
    await page.goto(`${server.url}${path}`);
    return page;
  }

  it('a wrong viewer token and a missing one get different messages', async () => {
    const room = await createRoom(s.server, { private: true });
    const wrong = await openAt(s.server, 'viewer-wrong-token', `/view/${room.id}?token=not-the-token`);
    await waitForState(wrong, 'error');
    expect(await stateText(wrong)).toMatch(/access token is invalid, or it was revoked or has expired/);
    await shot(wrong, 'wrong-token');
    const missing = await openAt(s.server, 'viewer-no-token', `/view/${room.id}`);
    await waitForState(missing, 'error');
    expect(await stateText(missing)).toMatch(/missing its access token/);
    await wrong.context().close();
    await missing.context().close();
  });

  it('a presenter that does not come back within the grace period is not shown as "stopped sharing"', async () => {
    const room = await createRoom(quick);
    const presenter = await nodePresenter(quick, room);
    const viewer = await openAt(quick, 'viewer-grace', `/view/${room.id}`);
    await waitForState(viewer, 'live');
    presenter.terminate(); // a network drop: no close frame, so the server waits through the grace period
    await waitForState(viewer, 'reconnecting');
    await waitForState(viewer, 'ended', 5_000);
    expect(await stateText(viewer)).toMatch(/did not come back/);
    expect(await viewer.textContent('#viewers')).toBe('');
    await shot(viewer, 'presenter-gone');
    // Someone opening the link afterwards is told it is over, not that a presenter just left.
    const later = await openAt(quick, 'viewer-after-end', `/view/${room.id}`);
    await waitForState(later, 'ended');
    expect(await stateText(later)).toBe('This presentation has already ended.');
    await viewer.context().close();
    await later.context().close();
  });

  it('a server going away (1001, even after an "ended" status) leaves the viewer reconnecting, and it reconnects', async () => {
    const ctx = await s.browser.newContext({ viewport: { width: 1100, height: 700 } });
    const page = await ctx.newPage();
    watchConsole(page, 'viewer-1001', s.problems);
    let connections = 0;
    const texts: string[] = [];
    await page.routeWebSocket(/\/ws\/view\//, async (ws) => {
      if (++connections === 3) texts.push((await stateText(page)) ?? '');
      if (connections > 2) return void ws.connectToServer();
      if (connections === 1) {
        // What a server shutting down may say: the room is over here, but the close code says "come back".
        ws.send(Buffer.from(encodeStatus('ended', 0)));
        ws.close({ code: 1001, reason: 'server shutting down' });
        return;
      }
      // The next attempt fails too (the server is still coming up): still the restart, not "connection lost".
      ws.close({ code: 1011, reason: 'not ready' });
    });
    await page.goto(`${s.server.url}${s.room.viewerUrl}`);
    await waitForState(page, 'offline');
    expect(await stateText(page)).toMatch(/^The server is restarting\. Reconnecting in \d+ s…$/);
    await shot(page, 'server-restarting');
    await waitForState(page, 'waiting', 10_000);
    expect(connections).toBe(3);
    expect(texts[0]).toMatch(/^The server is restarting/);
    expect(await viewerHistory(page)).toEqual(['connecting', 'ended', 'offline', 'waiting']);
    await ctx.close();
  });

  it('lobby cards keep "N watching" on one line at narrow and normal widths', async () => {
    const room = await createRoom(s.server, { name: 'A room with a fairly long name' });
    const presenter = await connect(wsUrl(s.server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    presenter.send(encodeGeometry({ width: 1920, height: 1080, tileSize: 64 }));
    const viewers = await Promise.all(
      Array.from({ length: 12 }, () => connect(wsUrl(s.server, `/ws/view/${room.id}`))),
    );
    presenter.terminate(); // "Reconnecting" is the widest state pill
    for (const width of [360, 800, 1280]) {
      const lobby = await openAt(s.server, `lobby-${width}`, '/', width, 900);
      const facts = lobby.locator(`.room-card[data-room="${room.id}"] .facts`);
      await lobby.waitForFunction(
        (id) => document.querySelector(`.room-card[data-room="${id}"] .pill`)?.textContent === 'Reconnecting',
        room.id,
      );
      // Line boxes of each fact's text: more than one means it wrapped inside.
      const lines = await facts.evaluate((el) =>
        [...el.children].map((c) => {
          const range = document.createRange();
          range.selectNodeContents(c);
          const box = c.getBoundingClientRect();
          return {
            text: c.textContent,
            lines: new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size,
            middle: Math.round(box.top + box.height / 2),
          };
        }),
      );
      await facts
        .locator('xpath=ancestor::a')
        .screenshot({ path: `${ARTIFACTS}${engine}-states-lobby-card-${width}.png` });
      for (const f of lines) expect(f, `${f.text} at ${width} px`).toMatchObject({ lines: 1 });
      expect(lines.map((f) => f.text)).toEqual(['12 watching', '1920×1080']);
      expect(new Set(lines.map((f) => f.middle)).size, `one row at ${width} px`).toBe(1);
      await lobby.context().close();
    }
    for (const v of viewers) v.terminate();
  });

  let viewer: Page;

  it('the presenter reports the frames it actually sends, not its 30 fps cap', async () => {
    viewer = await s.openViewer('viewer-stats', { query: 'stats' });
    await startSharing(s);
    await waitForPresenterLive(viewer);

    // 5 steps a second for 5 s: the presenter sends about 5 fps, whatever its 30 fps cap.
    const animation = runAnimation(s.content, 25, 5);
    await s.presenter.waitForTimeout(3000);
    const detail = (await s.presenter.textContent('#stat-detail')) ?? '';
    const sent = Number(/sending ([\d.]+) fps \(max 30\)/.exec(detail)?.[1]);
    expect(detail, detail).not.toMatch(/30 of 30/);
    expect(sent, detail).toBeGreaterThan(0.5);
    expect(sent, detail).toBeLessThan(10);
    expect(await viewer.textContent('#s-latency')).toMatch(/ms$/);
    await animation;
  });

  it('the stats strip sits under the picture, never over it, and shows no latency while no frames arrive', async () => {
    await waitForState(viewer, 'live');
    for (const mode of ['fit', 'actual'] as const) {
      await viewer.evaluate(
        (m) => (window as unknown as { tilecastViewer: { setMode(m: string): void } }).tilecastViewer.setMode(m),
        mode,
      );
      const [stats, canvas] = await Promise.all([
        viewer.locator('#stats').boundingBox(),
        viewer.locator('#screen').boundingBox(),
      ]);
      expect(stats && canvas).toBeTruthy();
      expect(stats!.y, `${mode}: stats below the picture`).toBeGreaterThanOrEqual(canvas!.y + canvas!.height - 0.5);
      await shot(viewer, `stats-${mode}`);
    }
    await viewer.evaluate(() =>
      (window as unknown as { tilecastViewer: { setMode(m: string): void } }).tilecastViewer.setMode('fit'),
    );
    // No frames: fps falls to 0 and the last latency is not kept on screen.
    await viewer.waitForFunction(() => document.getElementById('s-fps')?.textContent === '0.0', null, {
      timeout: 8_000,
    });
    expect(await viewer.textContent('#s-latency')).toBe('–');
    await shot(viewer, 'stats-idle');
  });

  it('a late joiner on a slow link shows "Loading" (never "Live") until the whole picture is painted', async () => {
    const late = await s.openViewer('viewer-late-slow', { throttleKbps: 250, cachedAssets: true });
    await waitForState(late, 'loading');
    expect(await late.textContent('#state-pill')).toBe('Loading…');
    expect(await late.textContent('#state-title')).toBe('Loading the picture…');
    // No empty canvas under the card while loading (composited on every spinner frame): it appears with the picture.
    expect(await late.locator('#screen').isHidden()).toBe(true);
    await shot(late, 'late-joiner-loading');
    await waitForState(late, 'live', 30_000);
    expect(await late.locator('#screen').isVisible()).toBe(true);
    // view.js took over the socket view.html opened before it loaded (one socket, no second handshake).
    expect(
      await late.evaluate(() =>
        (window as unknown as { tilecastViewer: { earlySocket(): string } }).tilecastViewer.earlySocket(),
      ),
    ).toBe('adopted');
    expect((await viewerStats(late)).frames).toBeGreaterThan(0);
    const history = await viewerHistory(late);
    expect(history.slice(history.indexOf('loading'))).toEqual(['loading', 'live']);
    await shot(late, 'late-joiner-live');
  });

  it('after Stop the presenter shows no viewers, and viewers are told the presenter ended it', async () => {
    expect(Number(await s.presenter.textContent('#stat-viewers'))).toBeGreaterThan(0);
    await s.presenter.click('#stop');
    await waitForState(s.presenter, 'ended');
    expect(await s.presenter.textContent('#stat-viewers')).toBe('0');
    await s.presenter.waitForTimeout(1200); // a status that was on its way must not bring the count back
    expect(await s.presenter.textContent('#stat-viewers')).toBe('0');
    await shot(s.presenter, 'presenter-stopped');
    await waitForState(viewer, 'ended');
    expect(await stateText(viewer)).toMatch(/presenter ended the presentation/);
    await shot(viewer, 'presenter-ended');
    expect(s.problems).toEqual([]);
  });
});
