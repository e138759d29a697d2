// The presenter's screen content, rendered and encoded ahead of time with sharp (and cached on disk) so encoding
// never competes with the measurement. A cyclic timeline of desktop activity: idle, typing, scrolling, video.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import sharp from 'sharp';
import { type CodecName, type Geometry, gridShape, tileRect } from '../../shared/protocol';
import { type Canvas, type SceneState, drawScene } from './desktop-scene';

export interface ContentTile {
  index: number;
  col: number;
  row: number;
  payload: Uint8Array;
}

export interface Content {
  geometry: Geometry;
  codec: CodecName;
  /** steps[0] holds every tile (the first keyframe); steps[i] the tiles that changed since step i-1, cyclically */
  steps: ContentTile[][];
  /** mean encoded tile size over the changed tiles of the timeline */
  meanTileBytes: number;
}

export interface ContentOptions {
  width: number;
  height: number;
  tileSize: number;
  codec: CodecName;
  quality: number;
}

const FORMAT_VERSION = 2;

/** What the desktop is doing at each step of the cycle; the last step returns to the first state. */
export function timeline(): SceneState[] {
  const steps: SceneState[] = [];
  let scroll = 0;
  let typed = 0;
  for (let i = 0; i < 120; i++) {
    let video = -1;
    if (i >= 10 && i < 40) typed++;
    if (i >= 40 && i < 70) scroll += 12;
    if (i >= 70 && i < 100) video = i - 70;
    if (i === 110) typed = 0;
    if (i >= 110) scroll -= 36;
    steps.push({ scroll, typed, video });
  }
  return steps;
}

function tileBytes(c: Canvas, g: Geometry, col: number, row: number): Buffer {
  const r = tileRect(g, col, row);
  const out = Buffer.allocUnsafe(r.width * r.height * 3);
  for (let y = 0; y < r.height; y++) {
    const from = ((r.y + y) * c.width + r.x) * 3;
    out.set(c.rgb.subarray(from, from + r.width * 3), y * r.width * 3);
  }
  return out;
}

async function encode(raw: Buffer, width: number, height: number, o: ContentOptions): Promise<Uint8Array> {
  const img = sharp(raw, { raw: { width, height, channels: 3 } });
  const out =
    o.codec === 'webp'
      ? img.webp({ quality: o.quality, effort: 2 })
      : o.codec === 'jpeg'
        ? img.jpeg({ quality: o.quality })
        : img.png({ compressionLevel: 6 });
  return new Uint8Array(await out.toBuffer());
}

async function render(o: ContentOptions): Promise<Content> {
  const geometry: Geometry = { width: o.width, height: o.height, tileSize: o.tileSize };
  const { columns, tiles } = gridShape(geometry);
  const states = timeline();
  const screens: Canvas[] = states.map((s) => {
    const c = { width: o.width, height: o.height, rgb: new Uint8Array(o.width * o.height * 3) };
    drawScene(c, s);
    return c;
  });
  const encoded = new Map<string, Promise<Uint8Array>>();
  const jobs: Promise<void>[] = [];
  const steps: ContentTile[][] = states.map(() => []);
  for (let s = 0; s < screens.length; s++) {
    const prev = screens[(s - 1 + screens.length) % screens.length];
    for (let index = 0; index < tiles; index++) {
      const col = index % columns;
      const row = Math.floor(index / columns);
      const raw = tileBytes(screens[s], geometry, col, row);
      if (s > 0 || screens.length === 1) {
        if (raw.equals(tileBytes(prev, geometry, col, row))) continue;
      }
      const key = createHash('sha1').update(raw).digest('base64');
      let job = encoded.get(key);
      if (!job) {
        const r = tileRect(geometry, col, row);
        job = encode(raw, r.width, r.height, o);
        encoded.set(key, job);
      }
      const tile: ContentTile = { index, col, row, payload: new Uint8Array(0) };
      steps[s].push(tile);
      jobs.push(job.then((p) => void (tile.payload = p)));
    }
  }
  await Promise.all(jobs);
  const changed = steps.slice(1).flat();
  const meanTileBytes = changed.reduce((n, t) => n + t.payload.byteLength, 0) / Math.max(1, changed.length);
  return { geometry, codec: o.codec, steps, meanTileBytes };
}

/** Renders and encodes the timeline once per option set; later runs load it from the cache. */
export async function loadContent(o: ContentOptions): Promise<Content> {
  const key = createHash('sha1')
    .update(JSON.stringify({ ...o, FORMAT_VERSION }))
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(os.tmpdir(), 'tilecast-loadtest-cache');
  const file = path.join(dir, `${key}.bin`);
  try {
    return v8.deserialize(readFileSync(file)) as Content;
  } catch {
    const content = await render(o);
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, v8.serialize(content));
    renameSync(tmp, file);
    return content;
  }
}
