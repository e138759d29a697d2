// The bus wire format: headers, chunking under the limit (never over 4 MB), reassembly, and lost chunks.
import { describe, expect, it } from 'vitest';
import { encodeTile } from '../../shared/protocol';
import type { TileEntry } from '../../server/frames/tile-entry';
import {
  BUS_HEADER_BYTES,
  BusKind,
  MAX_BUS_MESSAGE_BYTES,
  Reassembler,
  chunk,
  frameBody,
  keyframeBody,
  readChunk,
  readFrameBody,
  readKeyframeBody,
} from '../../server/cluster/wire';

function tiles(n: number, size: number): TileEntry[] {
  return Array.from({ length: n }, (_, i) => {
    const payload = new Uint8Array(size).fill(i & 0xff);
    return { index: i, col: i, row: 0, seq: 7, message: encodeTile({ col: i, row: 0, codec: 'webp', payload }, 7) };
  });
}

const header = { kind: BusKind.frame, epoch: 3, frameNo: 42, publishedAt: 1234.5 };

describe('bus wire format', () => {
  it('a small frame is one message; its tiles come back as the same Tile messages', () => {
    const t = tiles(3, 10);
    const [only, ...rest] = chunk(frameBody(9, 99.5, t), header, 1 << 20);
    expect(rest).toHaveLength(0);
    const c = readChunk(only)!;
    expect(c).toMatchObject({ kind: BusKind.frame, epoch: 3, frameNo: 42, publishedAt: 1234.5, chunk: 0, chunks: 1 });
    const f = readFrameBody(c.body);
    expect(f.seq).toBe(9);
    expect(f.captureTs).toBe(99.5);
    expect(f.tiles.map((x) => Buffer.from(x))).toEqual(t.map((x) => Buffer.from(x.message)));
  });

  it('a frame over the limit is split into chunks of at most the limit and joined back', () => {
    const t = tiles(10, 30_000);
    const limit = 64 * 1024;
    const parts = chunk(frameBody(1, 0, t), header, limit);
    expect(parts.length).toBe(
      Math.ceil((frameBody(1, 0, t).byteLength - BUS_HEADER_BYTES) / (limit - BUS_HEADER_BYTES)),
    );
    for (const p of parts) expect(p.byteLength).toBeLessThanOrEqual(limit);
    const r = new Reassembler();
    let whole: Uint8Array | null = null;
    for (const p of parts) {
      const out = r.push(readChunk(p)!);
      expect(out.lost).toBe(false);
      whole = out.whole ?? whole;
    }
    const got = readFrameBody(whole!).tiles;
    expect(got).toHaveLength(t.length);
    expect(Buffer.concat(got).equals(Buffer.concat(t.map((x) => x.message)))).toBe(true);
  });

  it('nothing on the bus exceeds 4 MB, whatever the configured limit', () => {
    const parts = chunk(frameBody(1, 0, tiles(3, 3 * 1024 * 1024)), header, 64 * 1024 * 1024);
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) expect(p.byteLength).toBeLessThanOrEqual(MAX_BUS_MESSAGE_BYTES);
  });

  it('a lost chunk is reported and the next whole message still comes through', () => {
    const parts = chunk(frameBody(1, 0, tiles(8, 30_000)), header, 64 * 1024);
    expect(parts.length).toBeGreaterThan(3);
    const r = new Reassembler();
    expect(r.push(readChunk(parts[0])!)).toEqual({ lost: false, whole: null });
    // parts[1] lost; the next chunk does not continue the message
    expect(r.push(readChunk(parts[2])!).lost).toBe(true);
    const next = chunk(frameBody(2, 0, tiles(1, 10)), { ...header, frameNo: 43 }, 64 * 1024);
    const out = r.push(readChunk(next[0])!);
    expect(out.lost).toBe(false);
    expect(readFrameBody(out.whole!).seq).toBe(2);
  });

  it('a keyframe carries state, geometry, cursor and the whole picture', () => {
    const geometry = new Uint8Array([1, 2, 0, 1, 0, 1, 64, 0]);
    const cursor = new Uint8Array([1, 3, 1, 0, 5, 0, 6, 0]);
    const [m] = chunk(
      keyframeBody('reconnecting', geometry, cursor, 5, 6, tiles(2, 5)),
      { ...header, kind: BusKind.keyframe },
      1 << 20,
    );
    const k = readKeyframeBody(readChunk(m)!.body);
    expect(k.state).toBe('reconnecting');
    expect([...k.geometry!]).toEqual([...geometry]);
    expect([...k.cursor!]).toEqual([...cursor]);
    expect(k.tiles).toHaveLength(2);
    expect(k.seq).toBe(5);
  });

  it('garbage is not a bus message', () => {
    expect(readChunk(new Uint8Array(10))).toBeNull();
    expect(readChunk(new Uint8Array(BUS_HEADER_BYTES))).toBeNull();
  });
});
