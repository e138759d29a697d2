// Messages between the presenter page and its capture worker.
import { type CodecName, DEFAULT_TILE_SIZE } from '../../../shared/protocol/constants';

export interface CaptureSettings {
  tileSize: number;
  /** 'auto': PNG (lossless) for flat tiles (text, UI), JPEG for photographic ones (see capture.worker.ts) */
  codec: Extract<CodecName, 'webp' | 'png'> | 'auto';
  /** 0..1, lossy codecs only */
  quality: number;
  maxFps: number;
  minFps: number;
  /** frames wider than this are scaled down */
  maxWidth: number;
  /** socket bytes queued above which capture ticks are skipped */
  highWaterBytes: number;
  maxMessageBytes: number;
  maxTileBytes: number;
  maxTilesPerFrame: number;
  /** send regions that change every frame as video (VP8) where the browser can; off: still tiles only */
  motion: boolean;
}

export const DEFAULT_SETTINGS: CaptureSettings = {
  tileSize: DEFAULT_TILE_SIZE,
  codec: 'auto',
  quality: 0.85,
  maxFps: 30,
  minFps: 2,
  maxWidth: 1920,
  highWaterBytes: 512 * 1024,
  maxMessageBytes: 4 * 1024 * 1024,
  maxTileBytes: 256 * 1024,
  maxTilesPerFrame: 4096,
  motion: true,
};

export type ToWorker =
  | { type: 'source'; readable: ReadableStream<VideoFrame> }
  | { type: 'bitmap'; bitmap: ImageBitmap }
  | { type: 'settings'; settings: Partial<CaptureSettings> }
  /** socket state after a send (the worker keeps one frame in flight) or when asked */
  | { type: 'link'; connected: boolean; buffered: number; clockOffsetMs: number; ack?: boolean }
  /** the next output carries geometry and every tile (new connection) */
  | { type: 'keyframe' }
  /** the server asks for a motion key chunk (a viewer waits for one) */
  | { type: 'motionKey' }
  | { type: 'snapshot'; id: number }
  | { type: 'stop' };

export interface FrameReport {
  seq: number;
  tiles: number;
  /** of which encoded with a lossy codec (photographic) */
  lossyTiles: number;
  bytes: number;
  /** time spent reading, diffing and encoding */
  workMs: number;
  /** of which reading the frame's pixels */
  readMs: number;
  /** of which finding the changed tiles */
  diffMs: number;
  width: number;
  height: number;
  /** the pacer's current target rate */
  fps: number;
  /** capture ticks skipped so far because the socket was backed up */
  skippedTicks: number;
  /** frames the capture delivered so far (sent or replaced by a newer one) */
  framesIn: number;
  motion: MotionReport;
}

export interface MotionReport {
  /** off (setting), unsupported (no VideoEncoder for VP8 here), failed (encoder error), idle, or active */
  state: 'off' | 'unsupported' | 'failed' | 'idle' | 'active';
  /** the region, in tiles, while active: "col,row colsxrows" */
  region: string | null;
  /** chunks sent so far, key chunks among them, and their bytes */
  frames: number;
  keys: number;
  bytes: number;
  /** frames handed to the encoder as a crop of the captured frame (no RGBA copy; see motion-encoder.ts) */
  cropped: number;
  /** the last chunk's encode time (frame in -> chunk out), ms */
  encodeMs: number;
  /** the scale the region is encoded at (1, 0.75, 0.5 or 0.375: see motion-encoder.ts) */
  scale: number;
}

export type FromWorker =
  /** messages to send on the socket, in order (geometry first when it changed) */
  | { type: 'send'; messages: ArrayBuffer[]; report: FrameReport }
  /** the worker is waiting for the socket to drain */
  | { type: 'poll' }
  | { type: 'snapshot'; id: number; blob: Blob | null }
  | { type: 'error'; message: string };
