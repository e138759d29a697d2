// The server reads canonical acks from the bytes (shared/protocol/canonical-ack.ts) and everything else through
// zod. The two must agree: whatever the fast path accepts, parseClientControl accepts with the same count.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalAckSyncs, parseClientControl } from '../../shared/protocol';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const bytesOf = (text: string) => new TextEncoder().encode(text);

/** What the zod path makes of `text`: the acked count, or -1 when it is not an ack or not valid at all. */
function zodSyncs(text: string): number {
  try {
    const msg = parseClientControl(text);
    return msg.type === 'ack' ? msg.syncs : -1;
  } catch {
    return -1;
  }
}

describe('canonical ack fast path', () => {
  it('reads every ack JSON.stringify writes, up to 15 digits, with the count zod reads', () => {
    fc.assert(
      fc.property(fc.oneof(fc.nat(), fc.integer({ min: 0, max: 999_999_999_999_999 })), (syncs) => {
        const text = JSON.stringify({ type: 'ack', syncs });
        expect(canonicalAckSyncs(bytesOf(text))).toBe(syncs);
        expect(zodSyncs(text)).toBe(syncs);
      }),
      { numRuns: RUNS },
    );
  });

  it('never accepts what zod reads differently (mutated and hand-made acks)', () => {
    const prefix = fc.constantFrom(
      '{"type":"ack","syncs":',
      '{"type":"ack", "syncs":',
      '{"syncs":',
      '{"type":"ack","syncs":-',
    );
    const number = fc.oneof(
      fc.stringMatching(/^[0-9]{1,18}$/),
      fc.constantFrom('0', '00', '007', '1.5', '1e3', '-0', ' 4', '4 ', '0x10', '', '9007199254740993'),
    );
    const suffix = fc.constantFrom('}', ' }', '},', '}}', ',"x":1}', '');
    const edited = fc
      .tuple(prefix, number, suffix)
      .chain(([p, n, s]) => fc.tuple(fc.constant(p + n + s), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean()));
    fc.assert(
      fc.property(edited, ([text, at, byte, mutate]) => {
        const bytes = bytesOf(text);
        if (mutate && bytes.length > 0) bytes[at % bytes.length] = byte;
        const fast = canonicalAckSyncs(bytes);
        if (fast >= 0) expect(zodSyncs(new TextDecoder().decode(bytes))).toBe(fast);
      }),
      { numRuns: RUNS },
    );
  });

  it('leaves to zod what is not canonical, valid or not', () => {
    for (const text of [
      '{"type":"ack","syncs":007}', // not JSON
      '{"type":"ack","syncs":-1}', // zod refuses
      '{"type":"ack","syncs":1.5}',
      '{"type":"ack","syncs":1e3}', // valid, spelt otherwise
      '{ "type": "ack", "syncs": 3 }',
      '{"syncs":3,"type":"ack"}',
      '{"type":"ack","syncs":1234567890123456}', // 16 digits
      '{"type":"ack","syncs":}',
      '{"type":"ack","syncs":3}\n',
      '{"type":"ping","t":3}',
      '',
    ])
      expect(canonicalAckSyncs(bytesOf(text)), text).toBe(-1);
    expect(canonicalAckSyncs(bytesOf('{"type":"ack","syncs":0}'))).toBe(0);
  });
});
