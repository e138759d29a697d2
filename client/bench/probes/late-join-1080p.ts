// Probe: a late joiner's time to a full picture at 1920x1080 with no presenter in the browser. A Node presenter
// sends one ScreenShot of the load test's desktop scene (PNG and JPEG tiles as the browser presenter encodes them),
// then Chromium opens the viewer page N times; prints navigation -> socket open -> first message -> painted.
// Usage: npx tsx client/bench/probes/late-join-1080p.ts [--engine uws|ws] [--runs 5] [--profile] [--throttle-kbps N]
// [--new-picture].
// Prints the CPU time the whole browser (only this viewer runs in it) spent on each join, from /proc: on a loaded
// machine that is what sets the time to the picture. --profile also prints the page's top functions by self time
// (CDP profiler, which slows the page down): with ImageDecoder and a VideoFrame drawn per tile the main thread spent
// ~0.3-1.3 ms per tile; PNG tiles now decode in the page (client/lib/png-decoder.ts). --new-picture makes every
// joiner the first on its picture, as in a live room.
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import NodeWebSocket from 'ws';
import { encodeFrame, encodeGeometry, gridShape, tileRect } from '../../../shared/protocol';
import { isFlatTile } from '../../lib/tile-kind';
import { drawScene } from '../../loadtest/desktop-scene';
import pino from 'pino';
import { startServer } from '../../../server/app';
import { launchCapturingChromium } from '../browser/chromium';
import { descendantsCpu } from '../browser/cpu';

const browserCpuMs = () => [...descendantsCpu().values()].reduce((a, b) => a + b, 0);

const { values } = parseArgs({
  options: {
    engine: { type: 'string', default: 'uws' },
    runs: { type: 'string', default: '5' },
    profile: { type: 'boolean', default: false },
    /** a slow link for the viewer (CDP network emulation, 40 ms latency): page weight shows here, not on loopback */
    'throttle-kbps': { type: 'string' },
    /** a one-tile frame before each join, so every joiner is the first on its picture, as in a live room */
    'new-picture': { type: 'boolean', default: false },
  },
});
/** The viewer page's test hook and this probe's socket timings, as the page sees them. */
type ProbeWindow = Window & {
  tilecastViewer?: { stats(): { firstFrameAt: number | null } };
  probeTimes?: Record<string, number>;
  WebSocket: typeof WebSocket;
};
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

const W = 1920;
const H = 1080;
const TILE = 64;

/**
 * The load test's desktop scene (text, an editor, a video playing), each tile encoded as the browser presenter's
 * `auto` codec does: PNG where the tile is flat (text, UI), JPEG where it is photographic.
 */
async function tiles() {
  const g = { width: W, height: H, tileSize: TILE };
  const scene = { width: W, height: H, rgb: new Uint8Array(W * H * 3) };
  drawScene(scene, { scroll: 0, typed: 20, video: 5 });
  const rgba = new Uint32Array(W * H);
  for (let i = 0; i < rgba.length; i++)
    rgba[i] = (scene.rgb[i * 3] | (scene.rgb[i * 3 + 1] << 8) | (scene.rgb[i * 3 + 2] << 16) | (255 << 24)) >>> 0;
  const { columns, rows } = gridShape(g);
  const out = [];
  for (let row = 0; row < rows; row++)
    for (let col = 0; col < columns; col++) {
      const { x, y, width, height } = tileRect(g, col, row);
      const img = sharp(scene.rgb, { raw: { width: W, height: H, channels: 3 } }).extract({
        left: x,
        top: y,
        width,
        height,
      });
      const codec = isFlatTile(g, rgba, col, row) ? 'png' : 'jpeg';
      const payload = codec === 'png' ? await img.png().toBuffer() : await img.jpeg({ quality: 85 }).toBuffer();
      out.push({ col, row, codec: codec as 'png' | 'jpeg', payload: new Uint8Array(payload) });
    }
  return out;
}

const server = await startServer({
  port: 0,
  host: '127.0.0.1',
  engine: values.engine as 'uws' | 'ws',
  logger: pino({ level: 'silent' }),
});
const base = `http://127.0.0.1:${server.port}`;
const room = (await (await fetch(`${base}/api/rooms`, { method: 'POST' })).json()) as {
  id: string;
  presenterToken: string;
};
const presenter = new NodeWebSocket(`ws://127.0.0.1:${server.port}/ws/present/${room.id}?token=${room.presenterToken}`);
await new Promise((r) => presenter.once('open', r));
presenter.send(encodeGeometry({ width: W, height: H, tileSize: TILE }));
const all = await tiles();
presenter.send(encodeFrame(1, Date.now(), all));
const bytes = all.reduce((n, t) => n + t.payload.byteLength, 0);
console.log(`${values.engine}: ScreenShot of ${all.length} tiles, ${(bytes / 1024).toFixed(0)} KiB`);
await new Promise((r) => setTimeout(r, 500));

const browser = await launchCapturingChromium('none', 1280, 800);
for (let run = 0; run < Number(values.runs); run++) {
  if (values['new-picture']) {
    presenter.send(encodeFrame(run + 2, Date.now(), [all[run % all.length]]));
    await new Promise((r) => setTimeout(r, 100));
  }
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  await page.addInitScript(() => {
    // Record when the socket opens, and the first and last binary message (the last before the picture shows).
    const times: Record<string, number> = {};
    (window as unknown as ProbeWindow).probeTimes = times;
    const Native = WebSocket;
    (window as unknown as ProbeWindow).WebSocket = class extends Native {
      constructor(url: string | URL, protocols?: string | string[]) {
        super(url, protocols);
        times.created = performance.now();
        this.addEventListener('open', () => (times.open = performance.now()));
        let n = 0;
        this.addEventListener('message', (e) => {
          if (typeof e.data === 'string') return;
          times.first ??= performance.now();
          times.last = performance.now();
          times.messages = ++n;
        });
      }
    };
  });
  const cdp = await ctx.newCDPSession(page);
  if (values['throttle-kbps']) {
    const bytesPerSecond = (Number(values['throttle-kbps']) * 1000) / 8;
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 40,
      downloadThroughput: bytesPerSecond,
      uploadThroughput: bytesPerSecond,
    });
  }
  if (values.profile) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  const cpuBefore = browserCpuMs();
  await page.goto(`${base}/view/${room.id}`);
  await page.waitForFunction(
    () => (window as unknown as ProbeWindow).tilecastViewer?.stats().firstFrameAt != null,
    null,
    {
      timeout: 15000,
    },
  );
  const cpuMs = browserCpuMs() - cpuBefore;
  const t = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
    const res = performance
      .getEntriesByType('resource')
      .map((e) => `${e.name.split('/').pop()} ${e.duration.toFixed(0)}ms`);
    return {
      dom: nav.domContentLoadedEventEnd,
      load: nav.loadEventEnd,
      first: (window as unknown as ProbeWindow).tilecastViewer!.stats().firstFrameAt!,
      res,
      probe: (window as unknown as ProbeWindow).probeTimes!,
    };
  });
  if (values.profile) {
    const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: CpuProfile };
    const self = new Map<string, number>();
    const dt = profile.timeDeltas as number[];
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id: number, i: number) => {
      const f = byId.get(id)!.callFrame;
      const key = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
      self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
    });
    const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.log(top.map(([k, v]) => `  ${v.toFixed(1)} ms ${k}`).join('\n'));
  }
  const p = t.probe;
  console.log(
    `run ${run}: DOMContentLoaded ${t.dom.toFixed(0)} ms, socket created ${p.created?.toFixed(0)} open ${p.open?.toFixed(0)}, binary ${p.first?.toFixed(0)}..${p.last?.toFixed(0)} (${p.messages} msgs), full picture ${t.first.toFixed(0)} ms, browser CPU ${cpuMs} ms (${t.res.join(', ')})`,
  );
  await ctx.close();
}
await browser.close();
presenter.close();
await server.close();
