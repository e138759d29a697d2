// Recording bench: seek time (timecode -> first byte of the keyframe) on a 1-minute and a 1-hour recording, and
// chunk-serving throughput as a ratio of `cat file > /dev/null`. Standalone: `npx tsx client/bench/recording.ts`.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { encodeTile, gridShape } from '../../shared/protocol';
import { formatSmpte, parseTimecode } from '../../shared/timecode';
import { type Recorder, RecordingStore, seekKeyframe } from '../../server/recording';
import { KeyframeIndex } from '../../server/recording/keyframe-index';
import { ScreenShot } from '../../server/room/screenshot';
import type { TileEntry } from '../../server/frames/tile-entry';
import { startServerProcess } from '../loadtest/server-process';

const GEOMETRY = { width: 1280, height: 720, tileSize: 64 }; // 20 x 12 tiles
const FPS = 10;
const TILES_PER_FRAME = 4;
const TILE_BYTES = 1024;
const SEEKS = 2000;

interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function percentiles(samples: number[]): Percentiles {
  const s = samples.slice().sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return { p50: round(at(0.5)), p90: round(at(0.9)), p99: round(at(0.99)), max: round(s[s.length - 1]) };
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

/** Writes `seconds` of a synthetic 10 fps session through the real recorder, with a simulated clock. */
async function recordSynthetic(
  store: RecordingStore,
  seconds: number,
): Promise<{ id: string; frameCostUs: Percentiles }> {
  const recorder: Recorder = store.record('bench', { sync: false, maxQueueBytes: 256 * 1024 * 1024, flushMs: 100 });
  const screenshot = new ScreenShot(256 * 1024 * 1024);
  const { columns, tiles } = gridShape(GEOMETRY);
  // A pool of pre-built tile messages, so generation costs no more than the recorder itself.
  const pool: Uint8Array[] = [];
  for (let i = 0; i < tiles; i++)
    pool.push(
      encodeTile(
        { col: i % columns, row: Math.floor(i / columns), codec: 'webp', payload: randomBytes(TILE_BYTES) },
        0,
      ),
    );
  screenshot.reset(GEOMETRY);
  recorder.geometry?.(GEOMETRY, recorder.startedAt);
  const frames = seconds * FPS;
  const cost: number[] = [];
  for (let k = 1; k <= frames; k++) {
    const at = recorder.startedAt + (k * 1000) / FPS;
    const list: TileEntry[] = [];
    for (let j = 0; j < (k === 1 ? tiles : TILES_PER_FRAME); j++) {
      const index = k === 1 ? j : (k * 7 + j * 31) % tiles;
      list.push({ index, col: index % columns, row: Math.floor(index / columns), message: pool[index], seq: k });
    }
    const frame = { seq: k, captureTs: at, receivedAt: at, tiles: list, ingestNo: k };
    const view = screenshot.apply(frame);
    // What recording costs the live room per frame: the observer call on the event loop (the I/O is elsewhere).
    const t0 = performance.now();
    recorder.frame?.(frame, view);
    cost.push((performance.now() - t0) * 1000);
    // Pace the generator on the writer, as a disk that keeps up would: never let the queue hit its bound.
    if (k % 500 === 0)
      while (recorder.stats().bytesPending > 64 * 1024 * 1024) await new Promise((r) => setTimeout(r, 5));
  }
  recorder.ended?.('bench');
  await recorder.finished;
  if (recorder.stats().gaps > 0) throw new Error('bench recording has gaps: the generator outran the disk');
  return { id: recorder.id, frameCostUs: percentiles(cost) };
}

interface SeekFigures {
  keyframes: number;
  durationMs: number;
  bytes: number;
  seekMs: Percentiles;
  searchNs: number;
}

/** One server-side seek: timecode parse + cached open + binary search + open/read/close of the keyframe's first bytes. */
async function seekOnce(store: RecordingStore, id: string, durationMs: number, head: Uint8Array): Promise<number> {
  const tc = formatSmpte(Math.random() * durationMs, 30);
  const t0 = performance.now();
  const h = await store.open(id);
  const parsed = parseTimecode(tc, h.header.frameRate, h.durationMs);
  if (!parsed.ok) throw new Error(parsed.message);
  const seek = seekKeyframe(h, parsed.ms)!;
  // Open + read, as the Range handler's read stream does.
  const file = await open(h.path, 'r');
  await file.read(head, 0, head.byteLength, seek.offset);
  await file.close();
  const ms = performance.now() - t0;
  if (head[0] !== 0x01) throw new Error(`offset ${seek.offset} is not a keyframe`);
  return ms;
}

/** Seeks on both recordings, alternating, so machine noise (other processes, writeback) hits both alike. */
async function seekTimes(store: RecordingStore, ids: string[]): Promise<SeekFigures[]> {
  const handles = await Promise.all(ids.map((id) => store.open(id)));
  const head = new Uint8Array(16);
  const samples: number[][] = ids.map(() => []);
  for (let i = -100; i < SEEKS; i++)
    for (let k = 0; k < ids.length; k++) {
      const ms = await seekOnce(store, ids[k], handles[k].durationMs, head);
      if (i >= 0) samples[k].push(ms); // the first 100 warm up the JIT and the cache
    }
  return handles.map((h, k) => {
    // The binary search alone, many times, in ns per search.
    const loops = 200_000;
    const t0 = performance.now();
    let sink = 0;
    for (let i = 0; i < loops; i++) sink += h.index.find((i * 7919) % h.durationMs, h.keyframes);
    const searchNs = ((performance.now() - t0) * 1e6) / loops + (sink < 0 ? 1 : 0);
    return {
      keyframes: h.keyframes,
      durationMs: h.durationMs,
      bytes: h.size,
      seekMs: percentiles(samples[k]),
      searchNs: round(searchNs, 1),
    };
  });
}

/** Binary search on a synthetic 10-million-keyframe index (~3 years at 10 s): still O(log n). */
function searchAtScale(): number {
  const n = 10_000_000;
  const index = new KeyframeIndex(n);
  for (let i = 0; i < n; i++) index.add(i * 10, i * 1000);
  const loops = 200_000;
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < loops; i++) sink += index.find(((i * 7919) % n) * 10);
  return round(((performance.now() - t0) * 1e6) / loops + (sink < 0 ? 1 : 0), 1);
}

/** GETs a URL and discards the body; returns bytes and ms to the first byte and to the end. */
function download(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; bytes: number; firstByteMs: number; totalMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first = 0;
    let bytes = 0;
    http
      .get(url, { headers, agent: keepAlive }, (res) => {
        res.on('data', (chunk: Buffer) => {
          if (bytes === 0) first = performance.now() - t0;
          bytes += chunk.byteLength;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, bytes, firstByteMs: first, totalMs: performance.now() - t0 }),
        );
        res.on('error', reject);
      })
      .on('error', reject);
  });
}
const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });

/** curl (a C client, like cat) fetching each (url, range) on one connection into /dev/null; returns ms and bytes. */
function curlMs(requests: { url: string; range?: string }[]): { ms: number; bytes: number } {
  const config = requests
    .map(
      (r) =>
        `url = "${r.url}"\noutput = "/dev/null"\n${r.range ? `range = "${r.range}"\n` : ''}write-out = "%{size_download}\\n"\n`,
    )
    .join('next\n');
  const t0 = performance.now();
  const r = spawnSync('curl', ['-s', '-K', '-'], { input: config, maxBuffer: 16 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`curl failed (${r.status}): ${r.stderr}`);
  const bytes = String(r.stdout)
    .trim()
    .split('\n')
    .reduce((sum, n) => sum + Number(n), 0);
  return { ms, bytes };
}

function catMs(file: string): number {
  const t0 = performance.now();
  const r = spawnSync('sh', ['-c', `cat "$1" > /dev/null`, 'sh', file]);
  if (r.status !== 0) throw new Error(`cat failed: ${r.stderr}`);
  return performance.now() - t0;
}

async function httpFigures(dir: string, id: string, file: string, size: number, engine: 'uws' | 'ws') {
  const server = await startServerProcess('server/main.ts', [
    '--engine',
    engine,
    '--recordings-dir',
    dir,
    '--log-level',
    'warn',
  ]);
  try {
    const base = `${server.url}/api/recordings/${id}`;
    await download(`${base}/data`); // warm the cache and the connection
    // Seek over HTTP, as the player does: ?t= -> offset, then a Range request from there (first byte).
    const seekSamples: number[] = [];
    const info = (await (await fetch(base)).json()) as { durationMs: number };
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      const res = await fetch(`${base}/data?t=${((Math.random() * info.durationMs) / 1000).toFixed(3)}`);
      const { offset } = (await res.json()) as { offset: number };
      const t1 = performance.now();
      const chunk = await download(`${base}/data`, { range: `bytes=${offset}-${offset + 65535}` });
      if (chunk.status !== 206) throw new Error(`range answered ${chunk.status}`);
      seekSamples.push(t1 - t0 + chunk.firstByteMs);
    }
    const runs = 3;
    const whole: number[] = [];
    const chunked: number[] = [];
    const cat: number[] = [];
    for (let r = 0; r < runs; r++) {
      cat.push(catMs(file));
      const w = curlMs([{ url: `${base}/data` }]);
      if (w.bytes !== size) throw new Error(`served ${w.bytes} of ${size} bytes`);
      whole.push(w.ms);
      // The player's pattern: sequential 4 MiB Range requests on one connection.
      const ranges = [];
      for (let at = 0; at < size; at += 4 * 1024 * 1024)
        ranges.push({ url: `${base}/data`, range: `${at}-${Math.min(size, at + 4 * 1024 * 1024) - 1}` });
      const c = curlMs(ranges);
      if (c.bytes !== size) throw new Error(`ranges served ${c.bytes} of ${size} bytes`);
      chunked.push(c.ms);
    }
    const best = (xs: number[]) => Math.min(...xs);
    const mbps = (ms: number) => round(size / 1e6 / (ms / 1000), 1);
    return {
      engine,
      httpSeekToFirstByteMs: percentiles(seekSamples),
      catMBps: mbps(best(cat)),
      wholeFileMBps: mbps(best(whole)),
      chunked4MiBMBps: mbps(best(chunked)),
      wholeVsCat: round(best(cat) / best(whole), 3),
      chunkedVsCat: round(best(cat) / best(chunked), 3),
    };
  } finally {
    await server.stop();
  }
}

export async function benchRecording(
  options: { hourSeconds?: number; keep?: boolean; log?: (line: string) => void } = {},
): Promise<object> {
  const say = options.log ?? ((line: string) => console.error(line));
  const dir = await mkdtemp(path.join(tmpdir(), 'tilecast-bench-rec-'));
  const store = new RecordingStore(dir, pino({ level: 'silent' }));
  try {
    say('recording bench: writing a 1-minute and a 1-hour synthetic recording (10 fps, 1280x720, keyframe every 10 s)');
    const t0 = performance.now();
    const { id: minuteId } = await recordSynthetic(store, 60);
    const { id: hourId, frameCostUs } = await recordSynthetic(store, options.hourSeconds ?? 3600);
    say(
      `  recorder cost on the event loop per frame: p50 ${frameCostUs.p50} µs, p99 ${frameCostUs.p99} µs (keyframes included)`,
    );
    const writeSeconds = round((performance.now() - t0) / 1000, 1);
    spawnSync('sync'); // let writeback of the fresh files finish before timing reads
    const [minute, hour] = await seekTimes(store, [minuteId, hourId]);
    say(
      `  seek 1 min: p50 ${minute.seekMs.p50} ms, p90 ${minute.seekMs.p90} ms, p99 ${minute.seekMs.p99} ms (${minute.keyframes} keyframes, ${minute.searchNs} ns/search)`,
    );
    say(
      `  seek 1 h:   p50 ${hour.seekMs.p50} ms, p90 ${hour.seekMs.p90} ms, p99 ${hour.seekMs.p99} ms (${hour.keyframes} keyframes, ${hour.searchNs} ns/search)`,
    );
    const scaleNs = searchAtScale();
    say(`  binary search over 10M keyframes: ${scaleNs} ns/search`);
    const hourFile = path.join(dir, `${hourId}.tcrec`);
    const serving = [];
    for (const engine of ['uws', 'ws'] as const) {
      const figures = await httpFigures(dir, hourId, hourFile, hour.bytes, engine);
      say(
        `  serve ${engine}: whole file ${figures.wholeFileMBps} MB/s, 4 MiB ranges ${figures.chunked4MiBMBps} MB/s, cat ${figures.catMBps} MB/s -> ${figures.wholeVsCat} / ${figures.chunkedVsCat} of cat; HTTP seek p50 ${figures.httpSeekToFirstByteMs.p50} ms`,
      );
      serving.push(figures);
    }
    return {
      recording: {
        fps: FPS,
        geometry: GEOMETRY,
        tilesPerFrame: TILES_PER_FRAME,
        tileBytes: TILE_BYTES,
        writeSeconds,
        frameCostUs,
      },
      seek: { oneMinute: minute, oneHour: hour, searchNsAt10MKeyframes: scaleNs },
      serving,
    };
  } finally {
    if (!options.keep) await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchRecording({ keep: process.argv.includes('--keep') });
  console.log(JSON.stringify(result, null, 2));
}
