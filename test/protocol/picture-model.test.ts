// The one interpreter of server messages every viewer uses: tiles in order, a sync when a Frame carries one,
// skipped counts summed over syncs, a geometry clearing the picture.
import { describe, expect, it } from 'vitest';
import {
  FrameFlag,
  FrameField,
  PictureModel,
  type PictureSink,
  applyServerMessage,
  decodeMessage,
  encodeFrame,
  encodeGeometry,
  encodeSync,
  encodeTile,
} from '../../shared/protocol';

const tiles = (seq: number) =>
  [0, 1].map((col) => ({ col, row: 0, codec: 'png' as const, payload: new Uint8Array([seq, col]) }));

function frame(seq: number, flags: number): Uint8Array {
  const bytes = encodeFrame(seq, seq * 10, tiles(seq));
  bytes[FrameField.flags] = flags;
  return bytes;
}

function record(messages: Uint8Array[]): string[] {
  const calls: string[] = [];
  const sink: PictureSink = {
    geometry: (g) => calls.push(`geometry ${g.width}x${g.height}`),
    tile: (t) => calls.push(`tile ${t.col},${t.row} seq ${t.seq}`),
    sync: (seq, captureTs, skipped) => calls.push(`sync ${seq} at ${captureTs} skipped ${skipped}`),
  };
  for (const m of messages) applyServerMessage(decodeMessage(m), sink);
  return calls;
}

describe('applyServerMessage', () => {
  it('a Frame flagged EndsWithSync is its tiles, then a sync with nothing skipped', () => {
    expect(record([frame(3, FrameFlag.EndsWithSync)])).toEqual([
      'tile 0,0 seq 3',
      'tile 1,0 seq 3',
      'sync 3 at 30 skipped 0',
    ]);
  });

  it('a Frame without the flag is only tiles; its sync comes as its own message with its count', () => {
    expect(record([frame(4, 0), encodeSync(4, 40, 7)])).toEqual([
      'tile 0,0 seq 4',
      'tile 1,0 seq 4',
      'sync 4 at 40 skipped 7',
    ]);
  });
});

describe('PictureModel', () => {
  it('keeps the picture as of each sync, sums skipped over syncs, and starts over at a geometry', () => {
    const model = new PictureModel();
    const apply = (m: Uint8Array) => model.apply(decodeMessage(m));
    apply(encodeGeometry({ width: 128, height: 64, tileSize: 64 }));
    apply(frame(1, FrameFlag.EndsWithSync));
    apply(encodeTile(tiles(2)[0], 2));
    expect(model.synced.get('0,0')).toEqual(new Uint8Array([1, 0])); // the tile of frame 2 is not painted yet
    apply(encodeSync(2, 20, 3));
    apply(encodeTile(tiles(5)[1], 5));
    apply(encodeSync(5, 50, 4));
    expect(model.syncs).toEqual([1, 2, 5]);
    expect(model.skipped).toBe(7);
    expect(model.tiles).toBe(4);
    expect([...model.synced]).toEqual([
      ['0,0', new Uint8Array([2, 0])],
      ['1,0', new Uint8Array([5, 1])],
    ]);
    apply(encodeGeometry({ width: 64, height: 64, tileSize: 64 }));
    expect(model.picture.size).toBe(0);
  });

  it('copies payloads out of the message, which the transport may reuse', () => {
    const model = new PictureModel();
    const bytes = encodeTile(tiles(1)[0], 1);
    model.apply(decodeMessage(bytes));
    bytes.fill(0);
    expect(model.picture.get('0,0')).toEqual(new Uint8Array([1, 0]));
  });
});
