// Spreads a frame's tile encoding over a few workers, one message per worker per frame: each member gets a
// contiguous slice of the changed tiles packed into one buffer and answers with all their payloads at once.
// Per-tile messages cost more than the PNG encoding itself on a loaded machine (every message wakes a thread).
import type { TileInput } from '../../../shared/protocol/encode';
import type { CaptureSettings } from './capture-protocol';

/** What one tile is encoded with: a concrete codec ('auto' is resolved per tile by the capture worker). */
export type TileCodecSettings = Pick<CaptureSettings, 'quality' | 'maxTileBytes'> & { codec: TileCodec };
export type TileCodec = 'webp' | 'png' | 'jpeg';

export interface TileJob {
  col: number;
  row: number;
  width: number;
  height: number;
  codec: TileCodec;
}

export interface EncodeBatch {
  id: number;
  /** every tile's RGBA pixels, one after another in job order */
  pixels: ArrayBuffer;
  jobs: TileJob[];
  quality: number;
  maxTileBytes: number;
}

export type EncodeResult = { id: number; tiles: TileInput[] } | { id: number; error: string };

interface Member {
  worker: Worker;
  busy: number;
}

export class EncoderPool {
  private readonly members: Member[] = [];
  private readonly waiting = new Map<
    number,
    { resolve(t: TileInput[]): void; reject(e: Error): void; member: Member }
  >();
  private nextId = 0;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./present.encode.worker.js', import.meta.url), { type: 'module' });
      worker.addEventListener('message', (e: MessageEvent<EncodeResult>) => this.done(e.data));
      this.members.push({ worker, busy: 0 });
    }
  }

  static defaultSize(): number {
    return Math.min(4, Math.max(2, Math.ceil((navigator.hardwareConcurrency || 2) / 2)));
  }

  get size(): number {
    return this.members.length;
  }

  /**
   * Encodes tiles in order. `copyTile(i, into, at)` writes tile i's RGBA pixels into `into` at byte offset `at`,
   * so each slice is packed straight from the frame with no per-tile buffer.
   */
  async encode(
    jobs: TileJob[],
    copyTile: (i: number, into: Uint8ClampedArray, at: number) => void,
    settings: { quality: number; maxTileBytes: number },
  ): Promise<TileInput[]> {
    const slices = Math.min(this.members.length, Math.max(1, Math.ceil(jobs.length / 4)));
    const per = Math.ceil(jobs.length / slices);
    const parts: Promise<TileInput[]>[] = [];
    for (let s = 0; s < slices; s++) {
      const from = s * per;
      const slice = jobs.slice(from, from + per);
      if (!slice.length) break;
      let bytes = 0;
      for (const j of slice) bytes += j.width * j.height * 4;
      const pixels = new Uint8ClampedArray(bytes);
      let at = 0;
      for (let k = 0; k < slice.length; k++) {
        copyTile(from + k, pixels, at);
        at += slice[k].width * slice[k].height * 4;
      }
      parts.push(this.post({ id: ++this.nextId, pixels: pixels.buffer, jobs: slice, ...settings }));
    }
    return (await Promise.all(parts)).flat();
  }

  private post(batch: EncodeBatch): Promise<TileInput[]> {
    const member = this.members.reduce((a, b) => (b.busy < a.busy ? b : a));
    member.busy++;
    return new Promise((resolve, reject) => {
      this.waiting.set(batch.id, { resolve, reject, member });
      member.worker.postMessage(batch, [batch.pixels]);
    });
  }

  private done(result: EncodeResult): void {
    const entry = this.waiting.get(result.id);
    if (!entry) return;
    this.waiting.delete(result.id);
    entry.member.busy--;
    if ('error' in result) entry.reject(new Error(result.error));
    else entry.resolve(result.tiles);
  }
}
