// Probe: ways to decode and draw a 1920x1080 keyframe of 64 px tiles in headless Chromium, each timed from the
// first decode started to the next animation frame after the picture is on a canvas, with the renderer's and the
// GPU process's CPU time (/proc) beside it. The tiles are the load test's desktop scene, encoded as the presenter's
// `auto` codec does (PNG where flat, JPEG where photographic). Variants:
//   decoder-frame   ImageDecoder per tile, drawImage(VideoFrame) onto an OffscreenCanvas, then one copy to the page
//                   canvas (what Display does)
//   decoder-bitmap  the same, with createImageBitmap(VideoFrame) before the draw
//   bitmap-blob     createImageBitmap(Blob) per tile
//   worker-decoder  decoder-frame in a worker, drawing on a canvas transferred with transferControlToOffscreen
//   worker-bitmap   bitmap-blob in that worker
// Measured (2026-11-30, load 2-5, 510 tiles, 8 runs): decoder-frame 80-128 ms wall / 100-180 ms renderer CPU;
// decoder-bitmap 81-115 / 100-150; bitmap-blob 526-583 / 550-640 (5x: per-call cost); worker-decoder 122-172 /
// 200-250 (more, not less). --tile-size (decoder-frame, 2026-11-30 afternoon, load ~3): 64 px (510 tiles) 61-112 ms
// wall / 140-200 ms CPU; 128 px (135) 38-70 / 80-130; 192 px (60) 31-53 / 80-120; 256 px (40) 36-46 / 70-100. In
// the browser bench, 128 px tiles (`--presenter-query '&tile=128'`) did not shorten the 1080p late join (665-846 ms
// against 745-902 ms): there the join waits on a browser whose two cores the presenter and compositor already use.
// Usage: npx tsx client/bench/probes/tile-paint-1080p.ts [--runs 5] [--variants a,b] [--tile-size 64]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { gridShape, tileRect } from '../../../shared/protocol';
import { drawScene } from '../../loadtest/desktop-scene';
import { isFlatTile } from '../../lib/tile-kind';
import { launchCapturingChromium } from '../browser/chromium';
import { descendantsCpu } from '../browser/cpu';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    variants: { type: 'string', default: 'decoder-frame,decoder-bitmap,bitmap-blob,worker-decoder,worker-bitmap' },
    'tile-size': { type: 'string', default: '64' },
  },
});
const W = 1920;
const H = 1080;
const g = { width: W, height: H, tileSize: Number(values['tile-size']) };

const scene = { width: W, height: H, rgb: new Uint8Array(W * H * 3) };
drawScene(scene, { scroll: 0, typed: 20, video: 5 });
const rgba = new Uint32Array(W * H);
for (let i = 0; i < rgba.length; i++)
  rgba[i] = (scene.rgb[i * 3] | (scene.rgb[i * 3 + 1] << 8) | (scene.rgb[i * 3 + 2] << 16) | (255 << 24)) >>> 0;
const tiles: { x: number; y: number; w: number; h: number; type: string; b64: string }[] = [];
const { columns, rows } = gridShape(g);
for (let row = 0; row < rows; row++)
  for (let col = 0; col < columns; col++) {
    const r = tileRect(g, col, row);
    const img = sharp(scene.rgb, { raw: { width: W, height: H, channels: 3 } }).extract({
      left: r.x,
      top: r.y,
      width: r.width,
      height: r.height,
    });
    const png = isFlatTile(g, rgba, col, row);
    const buf = png ? await img.png().toBuffer() : await img.jpeg({ quality: 85 }).toBuffer();
    const type = png ? 'image/png' : 'image/jpeg';
    tiles.push({ x: r.x, y: r.y, w: r.width, h: r.height, type, b64: buf.toString('base64') });
  }
console.log(`${tiles.length} tiles, ${tiles.filter((t) => t.type === 'image/jpeg').length} JPEG`);

/** Runs in the page and in its worker: decode every tile (all started at once), draw each in order onto `ctx`. */
const paintAll = `async function paintAll(ctx, tiles, how) {
  const decode = (t) => {
    if (how === 'bitmap') return createImageBitmap(new Blob([t.bytes], { type: t.type }));
    const d = new ImageDecoder({ data: t.bytes, type: t.type });
    const frame = d.decode().then(({ image }) => { d.close(); return image; });
    if (how !== 'decoder-bitmap') return frame;
    return frame.then(async (f) => { const b = await createImageBitmap(f); f.close(); return b; });
  };
  const all = tiles.map(decode);
  for (let i = 0; i < tiles.length; i++) {
    const t = tiles[i];
    const image = await all[i];
    ctx.drawImage(image, 0, 0, t.w, t.h, t.x, t.y, t.w, t.h);
    image.close();
  }
}`;

/** The page's side: sets up the canvases and the worker, then `runVariant(name)` resolves with the wall ms. */
const pageSetup = `${paintAll}
const bin = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
const front = document.getElementById('c');
front.width = ${W};
front.height = ${H};
const frontCtx = front.getContext('2d', { alpha: false });
const workerSource = paintAll.toString() + ';onmessage = async (e) => { if (e.data.canvas) self.ctx = e.data.canvas.getContext("2d", { alpha: false }); else { await paintAll(self.ctx, e.data.tiles, e.data.how); postMessage(0); } };';
const worker = new Worker(URL.createObjectURL(new Blob([workerSource], { type: 'text/javascript' })));
const placeholder = document.createElement('canvas');
placeholder.width = ${W};
placeholder.height = ${H};
document.body.append(placeholder);
const offscreen = placeholder.transferControlToOffscreen();
worker.postMessage({ canvas: offscreen }, [offscreen]);
window.runVariant = async (variant, list) => {
  const tiles = list.map((t) => ({ ...t, bytes: bin(t.b64) }));
  const t0 = performance.now();
  if (variant.startsWith('worker-')) {
    await new Promise((resolve) => {
      worker.onmessage = resolve;
      worker.postMessage({ tiles, how: variant === 'worker-bitmap' ? 'bitmap' : 'decoder' });
    });
  } else {
    const back = new OffscreenCanvas(${W}, ${H});
    const how = { 'decoder-frame': 'decoder', 'decoder-bitmap': 'decoder-bitmap', 'bitmap-blob': 'bitmap' }[variant];
    await paintAll(back.getContext('2d', { alpha: false }), tiles, how);
    frontCtx.drawImage(back, 0, 0);
  }
  // The picture counts once a frame has been produced with it.
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  return performance.now() - t0;
};`;

const browser = await launchCapturingChromium('none', 1280, 800);
const page = await browser.newPage();
// A secure origin (localhost) so that WebCodecs' ImageDecoder exists.
await page.route('http://localhost/', (r) =>
  r.fulfill({ contentType: 'text/html', body: `<canvas id="c"></canvas><script>${pageSetup}</script>` }),
);
await page.goto('http://localhost/');

const processType = (pid: number) =>
  readFileSync(`/proc/${pid}/cmdline`, 'utf8').match(/--type=([a-z-]+)/)?.[1] ?? 'browser';
for (const variant of values.variants!.split(',')) {
  const times: number[] = [];
  const cpus: string[] = [];
  for (let run = 0; run < Number(values.runs); run++) {
    const before = descendantsCpu();
    const ms = await page.evaluate(`window.runVariant(${JSON.stringify(variant)}, ${JSON.stringify(tiles)})`);
    const after = descendantsCpu();
    const cpu = (type: string) =>
      [...after].reduce((sum, [pid, v]) => sum + (processType(pid) === type ? v - (before.get(pid) ?? 0) : 0), 0);
    times.push(ms as number);
    cpus.push(`${cpu('renderer')}/${cpu('gpu-process')}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  console.log(
    `${variant.padEnd(15)} wall ${times.map((t) => t.toFixed(0)).join(' ')} ms; renderer/GPU CPU ${cpus.join(' ')} ms`,
  );
}
await browser.close();
