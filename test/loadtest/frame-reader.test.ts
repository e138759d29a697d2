// The generator's minimal WebSocket frame reader: any chunking, 16- and 64-bit lengths, text kept whole,
// binary kept as its first bytes (Frame messages as their record headers), control frames surfaced.
import { describe, expect, it } from 'vitest';
import { BINARY_HEAD_BYTES, FrameReader } from '../../client/loadtest/frame-reader';
import { Opcode } from '../../shared/ws-frame-header';
import { FRAME_HEADER_BYTES, FrameFlag, MessageType, TILE_HEADER_BYTES, encodeFrame } from '../../shared/protocol';

function frame(opcode: number, payload: Uint8Array, fin = true): Buffer {
  const len = payload.length;
  const head =
    len < 126 ? Buffer.from([(fin ? 0x80 : 0) | opcode, len]) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (len >= 126) {
    head[0] = (fin ? 0x80 : 0) | opcode;
    if (len < 65536) {
      head[1] = 126;
      head.writeUInt16BE(len, 2);
    } else {
      head[1] = 127;
      head.writeUInt32BE(0, 2);
      head.writeUInt32BE(len, 6);
    }
  }
  return Buffer.concat([head, payload]);
}

function collect() {
  const got: { opcode: number; head: Buffer; length: number }[] = [];
  const ctrl: number[] = [];
  const errors: string[] = [];
  const reader = new FrameReader({
    message: (opcode, head, length) => got.push({ opcode, head: Buffer.from(head), length }),
    control: (opcode) => ctrl.push(opcode),
    protocolError: (m) => errors.push(m),
  });
  return { reader, got, ctrl, errors };
}

describe('FrameReader', () => {
  const big = Buffer.alloc(70_000, 7);
  big[0] = 1;
  big[1] = 0x10;
  const stream = Buffer.concat([
    frame(Opcode.Text, Buffer.from('{"type":"welcome"}')),
    frame(Opcode.Binary, Buffer.alloc(300, 3)),
    frame(Opcode.Ping, Buffer.from('hi')),
    frame(Opcode.Binary, big),
    frame(Opcode.Binary, Buffer.from([1, 2]), false),
    frame(Opcode.Continuation, Buffer.from([3, 4])),
  ]);

  it.each([1, 2, 7, 1000, stream.length])('parses the same messages when fed in %i-byte chunks', (size) => {
    const { reader, got, ctrl, errors } = collect();
    for (let i = 0; i < stream.length; i += size) reader.push(stream.subarray(i, i + size));
    expect(errors).toEqual([]);
    expect(ctrl).toEqual([Opcode.Ping]);
    expect(got.map((m) => [m.opcode, m.length])).toEqual([
      [Opcode.Text, 18],
      [Opcode.Binary, 300],
      [Opcode.Binary, 70_000],
      [Opcode.Binary, 4],
    ]);
    expect(got[0].head.toString()).toBe('{"type":"welcome"}');
    expect(got[2].head.length).toBe(BINARY_HEAD_BYTES);
    expect([...got[2].head.subarray(0, 3)]).toEqual([1, 0x10, 7]);
    expect([...got[3].head]).toEqual([1, 2, 3, 4]);
  });

  it('delivers a kept type (Frame) as its headers only, payload lengths zeroed, at any chunking', () => {
    const tiles = [
      { col: 1, row: 2, codec: 'jpeg' as const, payload: Buffer.alloc(70_000, 7) },
      { col: 3, row: 0, codec: 'jpeg' as const, payload: Buffer.alloc(5, 9) },
      { col: 0, row: 1, codec: 'png' as const, payload: new Uint8Array(0) },
    ];
    const message = encodeFrame(42, 1234.5, tiles);
    message[2] |= FrameFlag.EndsWithSync;
    const expected = Buffer.alloc(FRAME_HEADER_BYTES + tiles.length * TILE_HEADER_BYTES);
    Buffer.from(message).copy(expected, 0, 0, FRAME_HEADER_BYTES);
    let at = FRAME_HEADER_BYTES;
    tiles.forEach((t, i) => {
      const record = FRAME_HEADER_BYTES + i * TILE_HEADER_BYTES;
      Buffer.from(message).copy(expected, record, at, at + TILE_HEADER_BYTES - 4); // payloadLength stays 0
      at += TILE_HEADER_BYTES + t.payload.length;
    });
    const bytes = Buffer.concat([frame(Opcode.Binary, message), frame(Opcode.Binary, big)]);
    for (const step of [1, 7, 4096, bytes.length]) {
      const got: { head: Buffer; length: number }[] = [];
      const reader = new FrameReader(
        {
          message: (_op, head, length) => got.push({ head: Buffer.from(head), length }),
          control: () => {},
          protocolError: (m) => got.push({ head: Buffer.from(m), length: -1 }),
        },
        new Set([MessageType.Frame]),
      );
      for (let i = 0; i < bytes.length; i += step) reader.push(bytes.subarray(i, i + step));
      expect(got).toHaveLength(2);
      expect(got[0].length).toBe(message.length);
      expect(got[0].head.equals(expected)).toBe(true);
      expect(got[1].head.length).toBe(BINARY_HEAD_BYTES);
    }
  });

  it('reports a masked server frame as a protocol error', () => {
    const { reader, errors } = collect();
    reader.push(Buffer.from([0x82, 0x81, 0, 0, 0, 0, 9]));
    expect(errors).toEqual(['server sent a masked frame']);
  });
});
