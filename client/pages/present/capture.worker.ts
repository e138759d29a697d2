// The presenter's capture loop, off the main thread: paces frames (fps between a floor and a cap, ticks skipped
// while the socket is backed up), cuts each frame into tiles, finds the changed ones, encodes only those, and
// hands ready-to-send protocol messages to the page. At most one frame is in flight; newer frames replace the
// pending one instead of queueing behind it.
import { encodeFrame, encodeGeometry, encodeMotion } from '../../../shared/protocol/encode';
import { type Geometry, gridShape, sameGeometry, tileRect } from '../../../shared/protocol/geometry';
import { changedTiles, copyTileInto } from '../../lib/tile-diff';
import { isFlatTile } from '../../lib/tile-kind';
import { type CaptureSettings, DEFAULT_SETTINGS, type FromWorker, type ToWorker } from './capture-protocol';
import { EncoderPool, type TileCodec, type TileJob } from './encoder-pool';
import { Pacer } from './pacer';
import { chunkTiles } from './chunk-tiles';
import { FramePump } from './frame-pump';
import { FrameSlot } from './frame-slot';
import { MotionLayer } from './motion-layer';
import { readFramePixels } from './read-pixels';

type Source = VideoFrame | ImageBitmap;

const post = (msg: FromWorker, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);

let settings: CaptureSettings = { ...DEFAULT_SETTINGS };
const pending = new FrameSlot<Source>();
let encoding = false;
let awaitingAck = false;
let connected = false;
let buffered = 0;
let clockOffsetMs = 0;
const pacer = new Pacer(settings);
let keyframe = true;
let geometry: Geometry | null = null;
/** the last frame read from the source */
let pixels: Uint32Array | null = null;
/** the pixels as of the last frame sent, to diff the next one against */
let previous: Uint32Array | null = null;
/**
 * The buffer `previous` held before: the next frame is read into it, so a frame costs no new 8 MB array (1080p)
 * and no garbage. Nothing reads it any more: one frame is in flight at a time, and each is done with it by then.
 */
let spare: Uint32Array | null = null;
let canvas: OffscreenCanvas | null = null;
let seq = 0;
let timer: ReturnType<typeof setTimeout> | null = null;
const pump = new FramePump((frame) => accept(frame));
const encoders = new EncoderPool(EncoderPool.defaultSize());
const motion = new MotionLayer();
/** A motion region must end (its tiles sent as stills) even when the screen goes still and no frame comes. */
let quietTimer: ReturnType<typeof setTimeout> | null = null;
let quietCheckDue = false;

self.addEventListener('message', (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  switch (msg.type) {
    case 'source':
      pending.restart();
      pump.start(msg.readable);
      break;
    case 'bitmap':
      accept(msg.bitmap);
      break;
    case 'settings':
      applySettings(msg.settings);
      break;
    case 'link':
      connected = msg.connected;
      buffered = msg.buffered;
      clockOffsetMs = msg.clockOffsetMs;
      if (msg.ack) {
        awaitingAck = false;
        pacer.sent(buffered);
      }
      schedule();
      break;
    case 'keyframe':
      keyframe = true;
      schedule();
      break;
    case 'motionKey':
      motion.requestKey();
      break;
    case 'snapshot':
      void snapshot(msg.id);
      break;
    case 'stop':
      if (timer) clearTimeout(timer);
      timer = null;
      connected = false;
      // From here on every frame is closed on arrival; the pump resolves once its last read is done.
      pending.stop();
      void pump.stop();
      break;
  }
});

/** Keeps only the newest frame: a skipped tick costs nothing but a close(). */
let framesIn = 0;
function accept(frame: Source): void {
  framesIn++;
  if (pending.put(frame)) schedule();
}

function applySettings(next: Partial<CaptureSettings>): void {
  const tileSizeChanged = next.tileSize !== undefined && next.tileSize !== settings.tileSize;
  settings = { ...settings, ...next };
  pacer.setLimits(settings);
  motion.enabled = settings.motion;
  if (tileSizeChanged && geometry) {
    // The pixels do not change, only the grid: resend everything on the new grid from what we hold.
    geometry = { ...geometry, tileSize: settings.tileSize };
    keyframe = true;
  }
  schedule();
}

function schedule(): void {
  if (timer || encoding || awaitingAck || !connected) return;
  if (pending.empty && !((keyframe || quietCheckDue) && pixels)) return;
  const decision = pacer.decide(performance.now(), buffered);
  if (decision.action === 'capture') return void capture();
  // On a skip the pending frame stays (newer ones replace it) and the page is asked how the socket is doing.
  if (decision.action === 'skip') post({ type: 'poll' });
  timer = setTimeout(tick, decision.ms);
}

function tick(): void {
  timer = null;
  schedule();
}

async function capture(): Promise<void> {
  encoding = true;
  quietCheckDue = false;
  const waitedFrom = pending.at;
  let source = pending.take();
  // A frame that waited long (the link was down, the screen static) still shows the current picture: stamp it
  // now, so viewers do not read the wait as lag.
  const captureTs = (source && Date.now() - waitedFrom < 1000 ? waitedFrom : Date.now()) + clockOffsetMs;
  const started = performance.now();
  try {
    if (source) await readPixels(source);
    const readMs = performance.now() - started;
    const g = geometry;
    const current = pixels;
    if (!g || !current) return;
    const sendGeometry = keyframe;
    const changedNow = keyframe ? changedTiles(g, current, null) : changedTiles(g, current, previous);
    keyframe = false;
    if (previous && previous !== current) spare = previous;
    previous = current;
    const diffMs = performance.now() - started - readMs;
    // The VP8 encoder (its own thread) runs while the pool encodes the still tiles; it has taken its crop of the
    // captured frame by the time plan() returns, so the frame is closed right after.
    const captured = typeof VideoFrame === 'function' && source instanceof VideoFrame ? source : null;
    const plan = motion.plan(g, current, changedNow, sendGeometry, performance.now(), captured);
    source?.close();
    source = null;
    armQuietCheck();
    const stills = encodeStills(g, current, plan.stills);
    const moving = await plan.motion;
    const { tiles, jobs } = await stills;
    if (!moving && plan.ifNoMotion.length) {
      // No chunk after all (the encoder dropped the frame or failed): the region goes as still tiles this time.
      const more = await encodeStills(g, current, plan.ifNoMotion);
      tiles.push(...more.tiles);
      jobs.push(...more.jobs);
    }
    if (tiles.length === 0 && !moving) return;
    // A geometry change while we were encoding makes these tiles stale; the keyframe that follows replaces them.
    if (!sameGeometry(g, geometry)) return;
    const messages: ArrayBuffer[] = [];
    if (sendGeometry) messages.push(encodeGeometry(g).buffer as ArrayBuffer);
    let bytes = 0;
    for (const chunk of chunkTiles(tiles, settings)) {
      const frame = encodeFrame(++seq, captureTs, chunk);
      bytes += frame.byteLength;
      messages.push(frame.buffer as ArrayBuffer);
    }
    if (moving) {
      // After the frame: the server relays it after the stills of the same capture, so both show this picture.
      const { region, chunk, mask } = moving;
      const m = encodeMotion({ ...region, ...chunk, mask, codec: 'vp8', seq: ++seq, captureTs });
      bytes += m.byteLength;
      messages.push(m.buffer as ArrayBuffer);
    }
    awaitingAck = true;
    post(
      {
        type: 'send',
        messages,
        report: {
          seq,
          tiles: tiles.length,
          lossyTiles: jobs.reduce((n, j) => n + (j.codec === 'png' ? 0 : 1), 0),
          bytes,
          workMs: performance.now() - started,
          readMs,
          diffMs,
          width: g.width,
          height: g.height,
          fps: pacer.fps,
          skippedTicks: pacer.skipped,
          framesIn,
          motion: motion.report(),
        },
      },
      messages,
    );
  } catch (err) {
    // The changed tiles were never sent although `previous` says so: resend everything next time.
    keyframe = true;
    post({ type: 'error', message: (err as Error).message ?? String(err) });
  } finally {
    source?.close();
    encoding = false;
    schedule();
  }
}

/** Encodes the given tiles of the frame in the pool, each with its codec. */
async function encodeStills(g: Geometry, current: Uint32Array, indices: number[]) {
  const { columns } = gridShape(g);
  const jobs: TileJob[] = indices.map((i) => {
    const col = i % columns;
    const row = (i - col) / columns;
    const r = tileRect(g, col, row);
    return { col, row, width: r.width, height: r.height, codec: tileCodec(g, current, col, row) };
  });
  const tiles = await encoders.encode(
    jobs,
    (k, into, at) => copyTileInto(g, current, jobs[k].col, jobs[k].row, into, at),
    settings,
  );
  return { tiles, jobs };
}

/** While a region is active, a capture runs (on the last pixels) if no frame came for a while: see MotionLayer. */
function armQuietCheck(): void {
  if (quietTimer) clearTimeout(quietTimer);
  quietTimer = null;
  if (!motion.active) return;
  quietTimer = setTimeout(() => {
    quietTimer = null;
    quietCheckDue = true;
    schedule();
  }, 700);
}

/**
 * The codec for one tile: 'auto' sends text and UI losslessly, photographic tiles as JPEG. JPEG rather than WebP:
 * in a Chromium worker convertToBlob takes ~1.2 ms a 64 px tile for JPEG against ~5 ms for WebP when many are in
 * flight, for about 1.3x the bytes; photographic tiles change in bulk (video), where encode time sets the rate.
 */
function tileCodec(g: Geometry, frame: Uint32Array, col: number, row: number): TileCodec {
  if (settings.codec !== 'auto') return settings.codec;
  return isFlatTile(g, frame, col, row) ? 'png' : 'jpeg';
}

/** Reads the frame's pixels into `pixels` (the caller closes the frame). */
async function readPixels(source: Source): Promise<void> {
  const sourceWidth = 'displayWidth' in source ? source.displayWidth : source.width;
  const sourceHeight = 'displayHeight' in source ? source.displayHeight : source.height;
  const scale = Math.min(1, settings.maxWidth / sourceWidth);
  const width = Math.max(1, Math.min(8192, Math.round(sourceWidth * scale)));
  const height = Math.max(1, Math.min(8192, Math.round(sourceHeight * scale)));
  const g = { width, height, tileSize: settings.tileSize };
  if (!sameGeometry(g, geometry) || !canvas) {
    geometry = g;
    canvas = new OffscreenCanvas(width, height);
    previous = null;
    keyframe = true;
  }
  const into = spare?.length === width * height ? spare : null;
  spare = null;
  pixels = await readFramePixels(source, canvas, width, height, into);
}

/** The last captured frame as a PNG: what viewers should converge to (tests, "copy picture"). */
async function snapshot(id: number): Promise<void> {
  if (!geometry || !previous) return post({ type: 'snapshot', id, blob: null });
  const c = new OffscreenCanvas(geometry.width, geometry.height);
  const data = new Uint8ClampedArray(previous.buffer.slice(0) as ArrayBuffer);
  c.getContext('2d')!.putImageData(new ImageData(data, geometry.width, geometry.height), 0, 0);
  post({ type: 'snapshot', id, blob: await c.convertToBlob({ type: 'image/png' }) });
}
