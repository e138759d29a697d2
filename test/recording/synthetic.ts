// A synthetic screen session with known frames: solid-colour PNG tiles whose colour encodes (frame, tile), so the
// picture at any moment is known exactly, as tile bytes and as pixels.
import sharp from 'sharp';
import { type Geometry, encodeCursor, encodeFrame, encodeTile, gridShape, tileRect } from '../../shared/protocol';
import type { TileEntry } from '../../server/frames/tile-entry';

export type Rgb = [number, number, number];

export const GEOMETRY_A: Geometry = { width: 72, height: 40, tileSize: 16 }; // 5x3 tiles, clipped edges
export const GEOMETRY_B: Geometry = { width: 48, height: 48, tileSize: 16 }; // 3x3 after a resize

const pngCache = new Map<string, Promise<Buffer>>();

export function solidPng(color: Rgb, width: number, height: number): Promise<Buffer> {
  const key = `${color.join(',')}/${width}x${height}`;
  let png = pngCache.get(key);
  if (!png) {
    png = sharp({ create: { width, height, channels: 3, background: { r: color[0], g: color[1], b: color[2] } } })
      .png()
      .toBuffer();
    pngCache.set(key, png);
  }
  return png;
}

export function colorOf(frame: number, tile: number): Rgb {
  return [(frame * 37 + tile * 11) % 256, (frame * 13 + 90) % 256, (tile * 59 + frame * 3) % 256];
}

export interface KnownFrame {
  /** 1-based frame number, also the seq */
  seq: number;
  /** ms since recording start */
  timeMs: number;
  geometry: Geometry;
  /** tiles this frame changed */
  tiles: { index: number; col: number; row: number; color: Rgb; payload: Uint8Array; message: Uint8Array }[];
  cursor?: { x: number; y: number };
}

/** Which tiles frame k changes: all of them on the first frame after a geometry, else about a third. */
function changes(k: number, tiles: number, first: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < tiles; i++) if (first || (i + k) % 3 === 0) out.push(i);
  return out;
}

/** Frames every `frameMs`; the geometry switches from A to B at `switchAt` (a frame number), if given. */
export async function buildSession(
  frames: number,
  frameMs: number,
  switchAt = Number.POSITIVE_INFINITY,
): Promise<KnownFrame[]> {
  const out: KnownFrame[] = [];
  for (let k = 1; k <= frames; k++) {
    const geometry = k >= switchAt ? GEOMETRY_B : GEOMETRY_A;
    const { columns, tiles } = gridShape(geometry);
    const first = k === 1 || k === switchAt;
    const list = [];
    for (const index of changes(k, tiles, first)) {
      const col = index % columns;
      const row = Math.floor(index / columns);
      const rect = tileRect(geometry, col, row);
      const color = colorOf(k, index);
      const payload = await solidPng(color, rect.width, rect.height);
      list.push({ index, col, row, color, payload, message: encodeTile({ col, row, codec: 'png', payload }, k) });
    }
    out.push({
      seq: k,
      timeMs: k * frameMs,
      geometry,
      tiles: list,
      cursor: k % 4 === 0 ? { x: k % 70, y: k % 40 } : undefined,
    });
  }
  return out;
}

/** The frame a viewer had on screen at `timeMs`: the last one received at or before it. */
export function frameAt(session: KnownFrame[], timeMs: number): KnownFrame | null {
  let found: KnownFrame | null = null;
  for (const f of session) if (f.timeMs <= timeMs) found = f;
  return found;
}

/** The expected tile messages (by index) after frame `seq`. */
export function expectedTiles(session: KnownFrame[], seq: number): Map<number, Uint8Array> {
  const tiles = new Map<number, Uint8Array>();
  let geometry: Geometry | null = null;
  for (const f of session) {
    if (f.seq > seq) break;
    if (geometry !== f.geometry) tiles.clear();
    geometry = f.geometry;
    for (const t of f.tiles) tiles.set(t.index, t.message);
  }
  return tiles;
}

/** The expected RGB pixels after frame `seq`. */
export function expectedPixels(session: KnownFrame[], seq: number): { geometry: Geometry; rgb: Uint8Array } {
  const colors = new Map<number, Rgb>();
  let geometry: Geometry = session[0].geometry;
  for (const f of session) {
    if (f.seq > seq) break;
    if (geometry !== f.geometry) colors.clear();
    geometry = f.geometry;
    for (const t of f.tiles) colors.set(t.index, t.color);
  }
  const rgb = new Uint8Array(geometry.width * geometry.height * 3);
  const { columns } = gridShape(geometry);
  for (let y = 0; y < geometry.height; y++)
    for (let x = 0; x < geometry.width; x++) {
      const index = Math.floor(y / geometry.tileSize) * columns + Math.floor(x / geometry.tileSize);
      const c = colors.get(index) ?? [0, 0, 0];
      rgb.set(c, (y * geometry.width + x) * 3);
    }
  return { geometry, rgb };
}

/** Decodes any image to raw RGB for comparison. */
export async function rgbOf(image: Uint8Array): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgb: new Uint8Array(data) };
}

export function tileEntry(t: KnownFrame['tiles'][number], seq: number): TileEntry {
  return { index: t.index, col: t.col, row: t.row, message: t.message, seq };
}

export function cursorMessage(x: number, y: number): Uint8Array {
  return encodeCursor(x, y, true);
}

/** The Frame wire message a presenter sends for a known frame. */
export function frameMessage(f: KnownFrame, captureTs = Date.now()): Uint8Array {
  return encodeFrame(
    f.seq,
    captureTs,
    f.tiles.map((t) => ({ col: t.col, row: t.row, codec: 'png' as const, payload: t.payload })),
  );
}
