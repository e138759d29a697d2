// The replay page in Chromium: jump to timecodes and compare the canvas with the known frame, play to the end,
// show timecode errors and hover previews.
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient } from '../../client/build';
import type { TilecastServer } from '../../server/app';
import { encodeCursor, encodeGeometry } from '../../shared/protocol';
import { RecordType, readFileHeaderPrefix, scanRecords } from '../../shared/recording/format';
import { parseTimecode } from '../../shared/timecode';
import { connect } from '../helpers/client';
import { sleep, startTestServer, wsUrl, createRoom } from '../helpers/server';
import { launchBrowser, watchConsole } from '../e2e/browser';
import { ARTIFACTS } from '../e2e/session';
import { GEOMETRY_A, type KnownFrame, buildSession, expectedPixels, frameMessage, rgbOf } from './synthetic';

let server: TilecastServer;
let browser: Browser;
let page: Page;
let dir: string;
let id: string;
let session: KnownFrame[];
let frames: { seq: number; timeMs: number }[];
const problems: string[] = [];

beforeAll(async () => {
  await buildClient();
  await mkdir(ARTIFACTS, { recursive: true });
  dir = await mkdtemp(path.join(tmpdir(), 'tilecast-replay-page-'));
  server = await startTestServer('uws', { recordingsDir: dir, keyframeIntervalSeconds: 0.5, recordingFlushMs: 50 });
  session = await buildSession(100, 25);
  const room = await createRoom(server, { record: true });
  const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
  id = (await (await fetch(`${server.url}/api/rooms/${room.id}`)).json()).recording;
  presenter.send(encodeGeometry(GEOMETRY_A));
  for (const f of session) {
    presenter.send(frameMessage(f));
    if (f.cursor) presenter.send(encodeCursor(f.cursor.x, f.cursor.y, true));
    await sleep(25);
  }
  presenter.send(JSON.stringify({ type: 'end' }));
  await presenter.waitClosed();
  await server.recordings.settled();

  const bytes = new Uint8Array(await readFile(path.join(dir, `${id}.tcrec`)));
  const prefix = readFileHeaderPrefix(bytes);
  if ('error' in prefix) throw new Error(prefix.error);
  frames = [];
  scanRecords(bytes.subarray(16 + prefix.jsonBytes), 16 + prefix.jsonBytes, (r) => {
    const view = new DataView(r.body.buffer, r.body.byteOffset);
    if (r.type === RecordType.Frame) frames.push({ seq: view.getUint32(0, true), timeMs: r.timeMs });
    if (r.type === RecordType.Keyframe && view.getUint32(16, true) > 0)
      frames.push({ seq: view.getUint32(16, true), timeMs: r.timeMs });
    if (r.type === RecordType.Index) return false;
  });

  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 900, height: 600 } });
  watchConsole(page, 'replay', problems);
  await page.goto(`${server.url}/replay/${id}`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function canvasPixels(): Promise<Uint8Array> {
  const url = await page.evaluate(() =>
    (document.getElementById('screen') as HTMLCanvasElement).toDataURL('image/png'),
  );
  return (await rgbOf(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'))).rgb;
}

const seqAt = (ms: number) => frames.filter((f) => f.timeMs <= ms).at(-1)!.seq;

describe('replay page', () => {
  it('paints exactly the known frame at each timecode typed into the jump box', async () => {
    const duration = frames.at(-1)!.timeMs;
    const times = [
      frames[0].timeMs,
      ...[0.13, 0.31, 0.5, 0.52, 0.77, 0.9].map((x) => Math.round(x * duration)),
      duration,
    ];
    for (const ms of times) {
      // SMPTE at 30 fps, on the frame at or after `ms`: the page seeks to that exact time.
      const n = Math.min(Math.ceil((ms * 30) / 1000), Math.floor((duration * 30) / 1000));
      const tc = `00:00:${String(Math.floor(n / 30)).padStart(2, '0')}:${String(n % 30).padStart(2, '0')}`;
      const parsed = parseTimecode(tc, 30);
      if (!parsed.ok || parsed.ms < frames[0].timeMs) continue;
      const seq = seqAt(parsed.ms);
      await page.fill('#jump-input', tc);
      await page.click('#jump button');
      await page.waitForFunction(
        (s) => document.body.dataset.seeking === 'false' && document.body.dataset.seq === String(s),
        seq,
        { timeout: 10_000 },
      );
      const got = await canvasPixels();
      const want = expectedPixels(session, seq).rgb;
      expect(Buffer.compare(Buffer.from(got), Buffer.from(want)), `canvas at ${tc} (seq ${seq})`).toBe(0);
      expect(await page.textContent('#clock')).toContain(tc);
    }
  });

  it('plays to the end and stops on the last frame', async () => {
    await page.evaluate(() => window.tilecastReplay!.seek(0));
    await page.selectOption('#speed', '4');
    await page.click('#play');
    await page.waitForFunction(() => document.getElementById('play')!.getAttribute('aria-pressed') === 'false', null, {
      timeout: 15_000,
    });
    await page.waitForFunction((s) => document.body.dataset.seq === String(s), frames.at(-1)!.seq);
    await page.evaluate(() => window.tilecastReplay!.player.settled());
    const got = await canvasPixels();
    expect(Buffer.compare(Buffer.from(got), Buffer.from(expectedPixels(session, 100).rgb))).toBe(0);
  });

  it('says what is wrong with a bad timecode', async () => {
    await page.fill('#jump-input', '00:00:00:99');
    await page.click('#jump button');
    expect(await page.textContent('#jump-error')).toBe(
      'timecode 00:00:00:99: frame 99 does not exist at 30 fps (frames are 00..29)',
    );
    await page.fill('#jump-input', '02:00:00:00');
    await page.click('#jump button');
    expect(await page.textContent('#jump-error')).toContain('is past the end of the recording');
  });

  it('shows a thumbnail and a timecode when hovering the seek bar', async () => {
    const box = (await page.locator('#seek').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await page.waitForFunction(
      () => {
        const img = document.getElementById('hover-image') as HTMLImageElement;
        return img.complete && img.naturalWidth > 0 && img.src.includes('/frame.jpeg?t=');
      },
      null,
      { timeout: 10_000 },
    );
    // The picture is 72 px wide: the preview is never upscaled.
    expect(await page.evaluate(() => (document.getElementById('hover-image') as HTMLImageElement).naturalWidth)).toBe(
      72,
    );
    expect(await page.textContent('#hover-label')).toMatch(/^00:00:0\d:\d\d$/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'replay-page.png') });
  });

  it('follows a recording still in progress up to its live edge', async () => {
    const room = await createRoom(server, { record: true });
    const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
    const recId: string = (await (await fetch(`${server.url}/api/rooms/${room.id}`)).json()).recording;
    presenter.send(encodeGeometry(GEOMETRY_A));
    for (const f of session.slice(0, 20)) {
      presenter.send(frameMessage(f));
      await sleep(25);
    }
    // past a flush: the 20 frames are durable, so the page finds a live edge to follow
    for (let i = 0; ; i++) {
      const info = (await (await fetch(`${server.url}/api/recordings/${recId}`)).json()) as {
        keyframes: number;
        live: { bytesPending: number };
      };
      if (info.keyframes > 0 && info.live.bytesPending === 0) break;
      if (i > 500) throw new Error('the recording never became durable');
      await sleep(10);
    }
    const live = await browser.newPage({ viewport: { width: 900, height: 600 } });
    watchConsole(live, 'replay-live', problems);
    await live.goto(`${server.url}/replay/${recId}`);
    await live.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
    expect(await live.textContent('#state-pill')).toBe('Recording');
    await live.click('#play');
    for (const f of session.slice(20, 60)) {
      presenter.send(frameMessage(f));
      await sleep(25);
    }
    await live.waitForFunction(() => document.body.dataset.seq === '60', null, { timeout: 15_000 });
    await live.evaluate(() => window.tilecastReplay!.player.settled());
    const url = await live.evaluate(() =>
      (document.getElementById('screen') as HTMLCanvasElement).toDataURL('image/png'),
    );
    const got = (await rgbOf(Buffer.from(url.slice(url.indexOf(',') + 1), 'base64'))).rgb;
    expect(Buffer.compare(Buffer.from(got), Buffer.from(expectedPixels(session, 60).rgb))).toBe(0);
    presenter.send(JSON.stringify({ type: 'end' }));
    await presenter.waitClosed();
    await live.waitForFunction(() => document.getElementById('state-pill')!.textContent === 'Recorded', null, {
      timeout: 10_000,
    });
    await live.close();
  });

  it('had no console errors', () => {
    expect(problems).toEqual([]);
  });
});
