// Owns the visible canvas. Tiles decode in parallel but are drawn onto a back buffer strictly in the order they
// arrived; the visible canvas changes only at sync(), by copying the damaged rectangles (noVNC's display model).
import type { CodecName } from '../../shared/protocol/constants';
import type { MotionView } from '../../shared/protocol/decode';
import { type Geometry, gridShape, sameGeometry, tileRect } from '../../shared/protocol/geometry';
import { inMotionMask, motionRect } from '../../shared/protocol/motion';
import { MotionDecoder } from './motion-decoder';
import { decodeTile } from './tile-decoder';

export interface Commit {
  seq: number;
  captureTs: number;
  /** tiles drawn since the previous commit */
  tiles: number;
}

type Rect = { x: number; y: number; width: number; height: number };
type Ctx2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D;

export class Display {
  readonly canvas: HTMLCanvasElement;
  /** called after each flip, in seq order */
  onCommit: ((c: Commit) => void) | null = null;
  /**
   * called for every motion message, in order with commits: `painted` false when it could not be shown (no
   * VideoDecoder here, or waiting for a key); the server counts it toward the ack window either way
   */
  onMotion: ((c: Commit, painted: boolean) => void) | null = null;
  /** called when a tile cannot be decoded (it is skipped; the next update of that tile repairs it) */
  onDecodeError: ((err: unknown) => void) | null = null;

  private readonly front: CanvasRenderingContext2D;
  private back: OffscreenCanvas | HTMLCanvasElement;
  private backCtx: Ctx2D;
  private geometry: Geometry | null = null;
  private damage: Rect[] = [];
  private chain: Promise<void> = Promise.resolve();
  private pendingTiles = 0;
  private queued = 0;
  private readonly motionDecoder = new MotionDecoder();

  constructor(canvas?: HTMLCanvasElement) {
    this.canvas = canvas ?? document.createElement('canvas');
    this.front = this.canvas.getContext('2d', { alpha: false })!;
    this.back = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
    this.backCtx = this.back.getContext('2d', { alpha: false }) as Ctx2D;
  }

  get size(): Geometry | null {
    return this.geometry;
  }

  /** tiles and syncs waiting for a decode: a viewer that falls behind sees this grow */
  get backlog(): number {
    return this.queued;
  }

  /**
   * A new geometry resets both buffers; it takes effect after everything queued before it. The same geometry
   * again (a reconnect) keeps the picture: the full set of tiles that follows overwrites it, so nothing flashes.
   */
  setGeometry(g: Geometry): void {
    this.enqueue(async () => {
      if (sameGeometry(this.geometry, g)) return;
      this.geometry = { ...g };
      this.damage = [];
      this.pendingTiles = 0;
      for (const c of [this.canvas, this.back]) {
        c.width = g.width;
        c.height = g.height;
      }
      this.backCtx.fillStyle = this.front.fillStyle = '#0b0d12';
      this.backCtx.fillRect(0, 0, g.width, g.height);
      this.front.fillRect(0, 0, g.width, g.height);
    });
  }

  /** Starts decoding now; draws onto the back buffer once every earlier tile is drawn. */
  tile(col: number, row: number, codec: CodecName, payload: Uint8Array): void {
    const decoding = decodeTile(codec, payload).catch((err: unknown) => {
      this.onDecodeError?.(err);
      return null;
    });
    this.enqueue(async () => {
      const decoded = await decoding;
      if (!decoded) return;
      const g = this.geometry;
      if (g && col < gridShape(g).columns && row < gridShape(g).rows) {
        const r = tileRect(g, col, row);
        if (decoded.pixels) this.backCtx.putImageData(decoded.pixels, r.x, r.y, 0, 0, r.width, r.height);
        else this.backCtx.drawImage(decoded.image, 0, 0, r.width, r.height, r.x, r.y, r.width, r.height);
        this.damage.push(r);
        this.pendingTiles++;
      }
      decoded.close();
    });
  }

  /**
   * A motion chunk: decoding starts now; in arrival order its frame is drawn (scaled to the region: the presenter
   * may encode it smaller) onto both buffers at once, as if it carried its own sync; with a mask, onto the tiles it
   * marks only. Tiles drawn later (at their sync) paint over it until the next motion frame paints them again (a
   * masked one: until it marks them); tiles drawn earlier but not yet synced are copied from the
   * back buffer at their sync, which now holds this frame, so a flip never brings back an older picture.
   */
  motion(m: MotionView): void {
    const decoding = this.motionDecoder.decode(m);
    this.enqueue(async () => {
      const frame = await decoding;
      const commit = { seq: m.seq, captureTs: m.captureTs, tiles: 0 };
      // The geometry in force where the chunk arrived (a geometry change is queued in order, like everything).
      const g = this.geometry;
      const grid = g ? gridShape(g) : null;
      if (!frame || !g || !grid || m.col + m.columns > grid.columns || m.row + m.rows > grid.rows) {
        frame?.close();
        return this.onMotion?.(commit, false);
      }
      const r = motionRect(g, m);
      const clip = m.mask ? maskPath(g, m, m.mask) : null;
      try {
        // Converted and scaled once; the visible canvas copies the result (a plain copy costs less than a second
        // conversion and scale of the frame). With a mask, only the tiles it marks are painted: the others keep
        // their sharp still tiles.
        if (clip !== NOTHING) {
          withClip(this.backCtx, clip, (c) => c.drawImage(frame, r.x, r.y, r.width, r.height));
          withClip(this.front, clip, (c) =>
            c.drawImage(this.back, r.x, r.y, r.width, r.height, r.x, r.y, r.width, r.height),
          );
        }
      } finally {
        frame.close();
      }
      this.onMotion?.(commit, true);
    });
  }

  /** motion chunks that could not be decoded (each one waits for the next key) */
  get motionErrors(): number {
    return this.motionDecoder.errors;
  }

  /** Makes everything drawn so far visible at once. */
  sync(seq: number, captureTs: number): void {
    this.enqueue(async () => {
      this.flip();
      const tiles = this.pendingTiles;
      this.pendingTiles = 0;
      this.onCommit?.({ seq, captureTs, tiles });
    });
  }

  /** Resolves once every queued tile and sync has been handled (tests, replay seeking). */
  idle(): Promise<void> {
    return this.chain;
  }

  private enqueue(step: () => Promise<void>): void {
    this.queued++;
    this.chain = this.chain
      .then(step)
      .catch((err: unknown) => this.onDecodeError?.(err))
      .finally(() => {
        this.queued--;
      });
  }

  private flip(): void {
    const g = this.geometry;
    if (!g || this.damage.length === 0) return;
    // Many small copies cost more than one big one past roughly a third of the screen.
    if (this.damage.length > gridShape(g).tiles / 3) {
      this.front.drawImage(this.back, 0, 0);
    } else {
      for (const r of this.damage)
        this.front.drawImage(this.back, r.x, r.y, r.width, r.height, r.x, r.y, r.width, r.height);
    }
    this.damage = [];
  }
}

/** A mask that marks no tile: the frame paints nothing (every tile of the region has its still). */
const NOTHING = 'nothing';

/** The tiles a motion mask marks, as one path (a rectangle per run of marked tiles in a row). */
function maskPath(g: Geometry, m: MotionView, mask: Uint8Array): Path2D | typeof NOTHING {
  const path = new Path2D();
  let any = false;
  for (let row = 0; row < m.rows; row++) {
    for (let col = 0; col < m.columns; ) {
      if (!inMotionMask(mask, row * m.columns + col)) {
        col++;
        continue;
      }
      const start = col;
      while (col < m.columns && inMotionMask(mask, row * m.columns + col)) col++;
      const first = tileRect(g, m.col + start, m.row + row);
      const last = tileRect(g, m.col + col - 1, m.row + row);
      path.rect(first.x, first.y, last.x + last.width - first.x, first.height);
      any = true;
    }
  }
  return any ? path : NOTHING;
}

/** Draws with `clip` applied (null: no clip). */
function withClip<C extends Ctx2D>(ctx: C, clip: Path2D | null, draw: (ctx: C) => void): void {
  if (!clip) return draw(ctx);
  ctx.save();
  try {
    ctx.clip(clip);
    draw(ctx);
  } finally {
    ctx.restore();
  }
}
