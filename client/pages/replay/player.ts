// Replays a recording onto the viewer's Display: seek = server timecode_to_index + Range reads from that keyframe,
// records applied up to the exact time; playback applies records as a media clock passes their times and paints
// only whole frames (the state after a frame), which is exactly what live viewers saw at their syncs.
import { CODEC_NAMES, type Geometry, TILE_HEADER_BYTES, sameGeometry } from '../../../shared/protocol';
import { Picture, type TileRef } from '../../../shared/recording/picture';
import type { Display } from '../../lib/display';
import type { PointerOverlay } from '../../lib/pointer-overlay';
import { RecordReader } from './record-reader';
import { withToken } from './token';

export interface ReplayMeta {
  id: string;
  durationMs: number;
  dataEnd: number;
  inProgress: boolean;
  frameRate: number;
}

export interface PlayerEvents {
  time(ms: number): void;
  playing(playing: boolean): void;
  /** a gap in the recording (the server fell behind the disk), or null once the picture is whole again */
  gap(inGap: boolean): void;
  buffering(waiting: boolean): void;
  error(message: string): void;
}

/** How far ahead of the media clock records are fetched, in media ms. */
const READ_AHEAD_MS = 4000;

export class Player {
  private picture = new Picture();
  private reader: RecordReader | null = null;
  private painted: Geometry | null = null;
  private epoch = 0;
  private mediaAnchor = 0;
  private wallAnchor = 0;
  private raf = 0;
  private waiting = false;
  mediaMs = 0;
  playing = false;
  speed = 1;

  constructor(
    private readonly meta: () => ReplayMeta,
    private readonly display: Display,
    private readonly pointer: PointerOverlay,
    private readonly events: PlayerEvents,
  ) {}

  private get dataUrl(): string {
    return `/api/recordings/${encodeURIComponent(this.meta().id)}/data`;
  }

  /** Jumps to `ms`: nearest keyframe at or before it (server binary search), then every record up to `ms`. */
  async seek(ms: number): Promise<void> {
    const epoch = ++this.epoch;
    const target = Math.max(0, Math.min(ms, this.meta().durationMs));
    const res = await fetch(withToken(`${this.dataUrl}?t=${(target / 1000).toFixed(3)}`));
    const body = await res.json();
    if (epoch !== this.epoch) return;
    if (!res.ok) return this.events.error(body?.error?.message ?? `seek failed: HTTP ${res.status}`);
    this.reader?.close();
    const reader = new RecordReader(withToken(this.dataUrl), body.offset, () => this.meta().dataEnd);
    this.reader = reader;
    this.picture = new Picture();
    let first = true;
    for (;;) {
      if (reader.buffered === 0) {
        if (reader.atEdge) break;
        await reader.fill();
        if (epoch !== this.epoch) return;
        continue;
      }
      const r = reader.peek()!;
      // The keyframe itself is always applied, even when the time asked for is just before it.
      if (!first && r.timeMs > target) break;
      this.picture.apply(reader.take()!);
      first = false;
    }
    this.mediaMs = target;
    this.anchor();
    this.paint(true);
    this.events.time(this.mediaMs);
    void reader.fill();
  }

  play(): void {
    if (this.playing) return;
    if (!this.meta().inProgress && this.mediaMs >= this.meta().durationMs) void this.seek(0);
    this.playing = true;
    this.anchor();
    this.events.playing(true);
    this.raf = requestAnimationFrame(() => this.tick());
  }

  pause(): void {
    if (!this.playing) return;
    this.playing = false;
    cancelAnimationFrame(this.raf);
    this.events.playing(false);
  }

  setSpeed(speed: number): void {
    this.anchor();
    this.speed = speed;
  }

  private anchor(): void {
    this.mediaAnchor = this.mediaMs;
    this.wallAnchor = performance.now();
  }

  private tick(): void {
    if (!this.playing) return;
    this.raf = requestAnimationFrame(() => this.tick());
    const reader = this.reader;
    if (!reader) return;
    const meta = this.meta();
    let media = this.mediaAnchor + (performance.now() - this.wallAnchor) * this.speed;
    media = Math.min(media, meta.durationMs);
    // Keep the read-ahead full; when the records run out before the clock, the clock waits for them.
    if (!reader.atEdge && reader.bufferedUntil < media + READ_AHEAD_MS * this.speed) void reader.fill();
    let applied = false;
    while (reader.buffered > 0 && reader.peek()!.timeMs <= media) {
      this.picture.apply(reader.take()!);
      applied = true;
    }
    const starved = reader.buffered === 0 && !reader.atEdge;
    if (starved !== this.waiting) this.events.buffering((this.waiting = starved));
    if (starved) {
      this.mediaMs = Math.max(this.mediaMs, this.picture.timeMs);
      this.anchor();
    } else this.mediaMs = media;
    if (applied) this.paint(false);
    this.events.time(this.mediaMs);
    const atEnd = reader.buffered === 0 && reader.atEdge && this.mediaMs >= meta.durationMs;
    if (atEnd && (reader.finished || !meta.inProgress)) this.pause();
  }

  /** Draws what changed (or everything) onto the Display's back buffer, then one sync makes it visible. */
  private paint(all: boolean): void {
    const p = this.picture;
    if (!p.geometry) return;
    const damage = p.takeDamage();
    if (all || damage.all || !sameGeometry(this.painted, p.geometry)) {
      // setGeometry clears the canvas, so tiles not in this picture never survive from an earlier one.
      this.display.setGeometry(p.geometry);
      this.painted = p.geometry;
      for (const tile of p.tiles) if (tile) this.drawTile(tile);
    } else {
      for (const index of damage.tiles) {
        const tile = p.tiles[index];
        if (tile) this.drawTile(tile);
      }
    }
    this.display.sync(p.seq, p.captureTs);
    this.pointer.set(p.cursor.x, p.cursor.y, p.cursor.visible);
    this.events.gap(p.inGap);
  }

  private drawTile(tile: TileRef): void {
    const codec = CODEC_NAMES[tile.message[2]];
    if (codec) this.display.tile(tile.col, tile.row, codec, tile.message.subarray(TILE_HEADER_BYTES));
  }

  /** Resolves once everything painted so far is on the canvas (tests, thumbnails). */
  settled(): Promise<void> {
    return this.display.idle();
  }
}
