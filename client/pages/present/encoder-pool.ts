// Spreads tile encoding over a few workers: convertToBlob runs on the calling worker's thread, so one worker
// encodes one tile at a time (measured: 120 WebP tiles take 400 ms in one worker, 250 ms in two, on 2 cores).
import type { TileInput } from '../../../shared/protocol/encode';
import type { CaptureSettings } from './capture-protocol';

export interface EncodeJob {
  id: number;
  pixels: ArrayBuffer;
  width: number;
  height: number;
  col: number;
  row: number;
  settings: Pick<CaptureSettings, 'codec' | 'quality' | 'maxTileBytes'>;
}

export type EncodeResult = { id: number; tile: TileInput } | { id: number; error: string };

interface Member {
  worker: Worker;
  busy: number;
}

export class EncoderPool {
  private readonly members: Member[] = [];
  private readonly waiting = new Map<number, { resolve(t: TileInput): void; reject(e: Error): void; member: Member }>();
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

  encode(pixels: ImageData, col: number, row: number, settings: EncodeJob['settings']): Promise<TileInput> {
    const member = this.members.reduce((a, b) => (b.busy < a.busy ? b : a));
    member.busy++;
    const id = ++this.nextId;
    const buffer = pixels.data.buffer as ArrayBuffer;
    const job: EncodeJob = { id, pixels: buffer, width: pixels.width, height: pixels.height, col, row, settings };
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, member });
      member.worker.postMessage(job, [buffer]);
    });
  }

  private done(result: EncodeResult): void {
    const entry = this.waiting.get(result.id);
    if (!entry) return;
    this.waiting.delete(result.id);
    entry.member.busy--;
    if ('error' in result) entry.reject(new Error(result.error));
    else entry.resolve(result.tile);
  }
}
