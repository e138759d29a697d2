// Property-based fuzzing (fast-check) of everything that parses untrusted bytes or JSON: the binary message
// decoder, the control-message schemas, the recording format readers and the HTTP inputs. The property is always
// the same: bad input is rejected the documented way (ProtocolError, ZodError, null, a 4xx), never by a crash.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import type { TilecastServer } from '../../server/app';
import {
  ClientControl,
  FrameScan,
  MessageType,
  ProtocolError,
  ServerControl,
  decodeMessage,
  encodeCursor,
  encodeFrame,
  encodeGeometry,
  encodeMotion,
  encodeStatus,
  encodeSync,
  parseClientControl,
} from '../../shared/protocol';
import {
  decodeIndex,
  decodeTrailer,
  readFileHeaderPrefix,
  recordBodyIsValid,
  scanRecords,
} from '../../shared/recording/format';
import { parseTimecode } from '../../shared/timecode';
import { createRoom, startTestServer } from '../helpers/server';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const bytes = (max = 256) => fc.uint8Array({ minLength: 0, maxLength: max });
const codec = fc.constantFrom('webp' as const, 'jpeg' as const, 'png' as const);
const tile = fc.record({
  col: fc.integer({ min: 0, max: 7 }),
  row: fc.integer({ min: 0, max: 7 }),
  codec,
  payload: bytes(64),
});

/** Runs `fn`; an error must be one of `allowed`, anything else fails the property. */
function rejectsOnlyWith(fn: () => unknown, ...allowed: (new (...args: never[]) => Error)[]): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    return allowed.some((k) => err instanceof k);
  }
}

describe('binary protocol decoder', () => {
  it('rejects random bytes only with ProtocolError', () => {
    fc.assert(
      fc.property(bytes(), (b) => rejectsOnlyWith(() => decodeMessage(b), ProtocolError)),
      { numRuns: RUNS },
    );
  });

  it('rejects random bytes behind a valid [version][type] prefix only with ProtocolError', () => {
    const types = fc.constantFrom(...Object.values(MessageType));
    fc.assert(
      fc.property(types, bytes(), (type, rest) =>
        rejectsOnlyWith(
          () =>
            decodeMessage(Uint8Array.from([1, type, ...rest]), {
              geometry: { width: 512, height: 512, tileSize: 64 },
              maxTileBytes: 1024,
              maxTilesPerFrame: 16,
            }),
          ProtocolError,
        ),
      ),
      { numRuns: RUNS },
    );
  });

  it('checks motion messages field by field: any header and chunk is decoded or a ProtocolError, never a crash', () => {
    const u16 = fc.integer({ min: 0, max: 12 });
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.record({ col: u16, row: u16, columns: u16, rows: u16 }),
        bytes(24),
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 255 }),
        (key, region, payload, flags, codecByte) => {
          const m = encodeMotion({ key, codec: 'vp8', seq: 1, captureTs: 2, ...region, payload });
          const limits = { geometry: { width: 500, height: 300, tileSize: 64 }, checkImageSize: true };
          const plain = rejectsOnlyWith(() => decodeMessage(m, limits), ProtocolError);
          m[2] = flags;
          m[3] = codecByte;
          const mangled = rejectsOnlyWith(() => decodeMessage(m, limits), ProtocolError);
          // without the bitstream check a message inside the grid always decodes back to its fields
          const inside =
            region.columns > 0 && region.rows > 0 && region.col + region.columns <= 8 && region.row + region.rows <= 5;
          if (inside) {
            const back = decodeMessage(encodeMotion({ key, codec: 'vp8', seq: 1, captureTs: 2, ...region, payload }), {
              geometry: limits.geometry,
            });
            expect(back).toMatchObject({ key, codec: 'vp8', ...region, payload });
          }
          return plain && mangled;
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('decodes every encoded frame back to its tiles, and every truncation of it is a ProtocolError', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.array(tile, { maxLength: 8 }),
        fc.nat(),
        (seq, tiles, cut) => {
          const frame = encodeFrame(seq, 1234.5, tiles);
          const msg = decodeMessage(frame);
          expect(
            msg.type === MessageType.Frame && msg.tiles.map((t) => [t.col, t.row, t.codec, [...t.payload]]),
          ).toEqual(tiles.map((t) => [t.col, t.row, t.codec, [...t.payload]]));
          const short = frame.subarray(0, cut % frame.byteLength);
          expect(() => decodeMessage(short)).toThrow(ProtocolError);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it("ingest's in-place frame reader agrees with decodeMessage: same tiles, or the same error", () => {
    const geometry = { width: 256, height: 256, tileSize: 64 };
    const limits = { geometry, maxTileBytes: 48, maxTilesPerFrame: 6, checkImageSize: true };
    const scan = new FrameScan();
    /** the outcome of a read, as plain data: the fields, or the error's code and message */
    const outcome = (read: () => unknown[]) => {
      try {
        return read();
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        return [err.code, err.message];
      }
    };
    const viaDecode = (b: Uint8Array) => () => {
      const msg = decodeMessage(b, limits);
      if (msg.type !== MessageType.Frame) throw new Error(`decoded a ${msg.type}`);
      const at = (r: Uint8Array) => r.byteOffset - b.byteOffset;
      return [
        msg.flags,
        msg.seq,
        msg.captureTs,
        msg.tiles.map((t) => [at(t.record), t.record.byteLength, t.col, t.row]),
      ];
    };
    const viaScan = (b: Uint8Array) => () => {
      const s = scan.read(b, limits);
      const tiles = Array.from({ length: s.count }, (_, i) => [s.offsets[i], s.lengths[i], s.cols[i], s.rows[i]]);
      return [s.flags, s.seq, s.captureTs, tiles];
    };
    // Encoded frames (tiles inside and outside the grid, payloads over the limit), cut or with a byte changed; the
    // type byte stays a Frame's, as ingest only reads those in place.
    const frame = fc
      .tuple(fc.nat(), fc.array(tile, { maxLength: 8 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 }))
      .map(([seq, tiles, cut, at, value]) => {
        const b = encodeFrame(seq, 99.5, tiles);
        const mode = cut % 3;
        if (mode === 1) return b.subarray(0, cut % b.byteLength);
        if (mode === 2 && at % b.byteLength !== 1) b[at % b.byteLength] = value;
        return b;
      });
    fc.assert(
      fc.property(frame, (b) => {
        expect(outcome(viaScan(b))).toEqual(outcome(viaDecode(b)));
      }),
      { numRuns: RUNS },
    );
  });

  it('round-trips the small server messages', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        (seq, ts, skipped) => {
          expect(decodeMessage(encodeSync(seq, ts, skipped))).toMatchObject({ type: MessageType.Sync, seq, skipped });
          expect(decodeMessage(encodeStatus('live', skipped & 0xffff))).toMatchObject({
            type: MessageType.Status,
            state: 'live',
          });
          expect(decodeMessage(encodeCursor(seq & 0xffff, skipped & 0xffff, true))).toMatchObject({
            type: MessageType.Cursor,
            visible: true,
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('accepts a geometry exactly when its sides and tile size are within the documented limits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9000 }),
        fc.integer({ min: 0, max: 9000 }),
        fc.integer({ min: 0, max: 1100 }),
        (width, height, tileSize) => {
          const ok = width >= 1 && height >= 1 && width <= 8192 && height <= 8192 && tileSize >= 16 && tileSize <= 1024;
          const geometry = new Uint8Array(encodeGeometryUnchecked(width, height, tileSize));
          expect(rejectsOnlyWith(() => decodeMessage(geometry), ProtocolError)).toBe(true);
          if (ok)
            expect(decodeMessage(geometry)).toMatchObject({
              type: MessageType.Geometry,
              geometry: { width, height, tileSize },
            });
          else expect(() => decodeMessage(geometry)).toThrow(ProtocolError);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

/** A Geometry message with any values (the encoder itself refuses invalid ones). */
function encodeGeometryUnchecked(width: number, height: number, tileSize: number): Uint8Array {
  const valid = encodeGeometry({ width: 64, height: 64, tileSize: 64 });
  const out = new Uint8Array(valid);
  const view = new DataView(out.buffer);
  view.setUint16(2, width, true);
  view.setUint16(4, height, true);
  view.setUint16(6, tileSize, true);
  return out;
}

describe('control-message schemas', () => {
  it('parseClientControl rejects any JSON text only with SyntaxError or ZodError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.string()), (text) =>
        rejectsOnlyWith(() => parseClientControl(text), SyntaxError, ZodError),
      ),
      { numRuns: RUNS },
    );
  });

  it('both schemas reject any value without throwing from safeParse', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        ClientControl.safeParse(value);
        ServerControl.safeParse(value);
        return true;
      }),
      { numRuns: RUNS },
    );
  });

  it('accepts every well-formed client message', () => {
    const valid = fc.oneof(
      fc.record({ type: fc.constant('hello' as const), protocol: fc.constant(1 as const) }),
      fc.record({ type: fc.constant('ping' as const), t: fc.double({ noNaN: true, noDefaultInfinity: true }) }),
      fc.record({ type: fc.constant('ack' as const), syncs: fc.nat() }),
      fc.constant({ type: 'end' as const }),
    );
    fc.assert(
      fc.property(
        valid,
        (m) => void expect(parseClientControl(JSON.stringify(m))).toEqual(JSON.parse(JSON.stringify(m))),
      ),
      { numRuns: RUNS },
    );
  });
});

describe('recording format readers', () => {
  it('never throw on random bytes', () => {
    fc.assert(
      fc.property(bytes(512), fc.integer({ min: 0, max: 8 }), (b, type) => {
        readFileHeaderPrefix(b);
        decodeIndex(b);
        decodeTrailer(b);
        recordBodyIsValid(type, b);
        scanRecords(b, 0, () => true, true);
        return true;
      }),
      { numRuns: RUNS },
    );
  });

  it('parseTimecode answers ok or a message for any text', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 120 }), (text, fps) => {
        const r = parseTimecode(text, fps, 3_600_000);
        return r.ok ? Number.isFinite(r.ms) && r.ms >= 0 : typeof r.message === 'string' && r.message.length > 0;
      }),
      { numRuns: RUNS },
    );
  });
});

// HTTP inputs go through zod too; every random body or query gets a JSON answer, never a 500.
describe.each(['uws', 'ws'] as const)('HTTP inputs on %s', (engine) => {
  let server: TilecastServer;
  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server.close());
  const HTTP_RUNS = Math.max(50, RUNS / 20);

  it('POST /api/rooms answers 201 or a 4xx JSON error for any JSON body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.json(), fc.string()), async (body) => {
        const res = await fetch(`${server.url}/api/rooms`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        const json = (await res.json()) as { id?: string; error?: { code: string; message: string } };
        if (res.status === 201) return typeof json.id === 'string';
        return (
          res.status >= 400 &&
          res.status < 500 &&
          typeof json.error?.code === 'string' &&
          typeof json.error.message === 'string'
        );
      }),
      { numRuns: HTTP_RUNS },
    );
  });

  it('snapshot and recording-frame queries answer without a 500 for any query string', async () => {
    const room = await createRoom(server);
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.constantFrom('width', 't', 'token', 'x'), fc.string({ maxLength: 12 })),
        async (query) => {
          const qs = new URLSearchParams(query).toString();
          for (const path of [`/api/rooms/${room.id}/snapshot.png?${qs}`, `/api/recordings/nope/frame.png?${qs}`]) {
            const res = await fetch(`${server.url}${path}`);
            await res.arrayBuffer();
            if (res.status >= 500 && res.status !== 503) return false;
          }
          return true;
        },
      ),
      { numRuns: HTTP_RUNS },
    );
  });
});
