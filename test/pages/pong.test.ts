// The viewer's hand-written control parser (client/lib/pong.ts) against the protocol's zod definition.
import { describe, expect, it } from 'vitest';
import { parseViewerControl } from '../../client/lib/pong';
import { PROTOCOL_VERSION } from '../../shared/protocol/constants';
import { ServerControl } from '../../shared/protocol/control';

describe('viewer control parser', () => {
  it('knows every server control type: a new one would otherwise be warned about as unknown', () => {
    for (const option of ServerControl.options) {
      const type = option.shape.type.value;
      const sample = ServerControl.parse(
        type === 'pong'
          ? { type, t: 1, serverTime: 2 }
          : type === 'welcome'
            ? {
                type,
                protocol: PROTOCOL_VERSION,
                role: 'viewer',
                room: 'R',
                resumed: false,
                limits: { maxMessageBytes: 1, maxTileBytes: 1, maxTilesPerFrame: 1 },
              }
            : { type },
      );
      expect(() => parseViewerControl(JSON.stringify(sample)), type).not.toThrow();
    }
  });

  it('reads a pong as zod does, and rejects what zod rejects', () => {
    expect(parseViewerControl('{"type":"pong","t":12.5,"serverTime":1700000000000}')).toEqual({
      type: 'pong',
      t: 12.5,
      serverTime: 1700000000000,
    });
    for (const bad of [
      '{"type":"pong","t":1}',
      '{"type":"pong","t":"1","serverTime":2}',
      '{"type":"pong","t":1,"serverTime":null}',
      '{"type":"pang","t":1,"serverTime":2}',
      '{"t":1,"serverTime":2}',
      '[]',
      'null',
      '3',
      'not json',
    ]) {
      expect(() => parseViewerControl(bad), bad).toThrow();
      expect(() => ServerControl.parse(JSON.parse(bad)), bad).toThrow();
    }
  });
});
