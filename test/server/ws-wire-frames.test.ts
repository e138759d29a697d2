// The ws engine writes binary messages to the socket itself, framed once per message and shared by every
// connection (server/transport/ws.ts `framed`). Every header length (7-bit, 16-bit, 64-bit), views into a larger
// buffer, the same message to several peers, two shared messages taking turns (a viewer count riding with each
// frame) and text frames between binary ones must reach a standard client (ws) intact and in order.
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createWsTransport } from '../../server/transport/ws';
import type { Connection } from '../../server/transport/types';
import { transportOptions } from '../helpers/transport-options';
import { waitFor } from '../helpers/server';

const SIZES = [0, 1, 125, 126, 127, 65_535, 65_536, 70_000];
const STATUS = new Uint8Array([1, 4, 2, 0, 3]);

/** A view at an odd offset into a larger buffer, filled with a pattern that differs per size. */
function message(size: number): Uint8Array {
  const backing = new Uint8Array(size + 13);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 7 + size) & 0xff;
  return backing.subarray(7, 7 + size);
}

interface Received {
  binary: boolean;
  bytes: Buffer;
}

describe('ws engine: binary messages framed once and written to the socket', () => {
  it('every size, shared by two peers, in order with text messages', async () => {
    const messages = SIZES.map(message);
    const peers: Connection<null>[] = [];
    const transport = createWsTransport(
      transportOptions({
        open: (conn) => {
          peers.push(conn);
          if (peers.length < 2) return;
          // each message to both peers in a row, as the fan-out sends a shared frame, each peer's after the same
          // status (so the two shared messages take turns); a text message between
          for (const m of messages) {
            for (const p of peers) {
              expect(p.send(STATUS)).toBe(true);
              expect(p.send(m)).toBe(true);
            }
            for (const p of peers) p.send(`after ${m.byteLength}`, false);
          }
        },
        message: () => {},
        drain: () => {},
        close: () => {},
      }),
    );
    const port = await transport.listen('127.0.0.1', 0);
    const received: Received[][] = [[], []];
    const clients = received.map((log) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
      ws.on('message', (data: Buffer, isBinary: boolean) => log.push({ binary: isBinary, bytes: data }));
      return ws;
    });
    try {
      await waitFor('both peers got everything', () => received.every((log) => log.length === 3 * SIZES.length));
      for (const log of received) {
        for (const [i, m] of messages.entries()) {
          const [status, bin, text] = log.slice(3 * i, 3 * i + 3);
          expect(status.binary).toBe(true);
          expect(status.bytes.equals(Buffer.from(STATUS))).toBe(true);
          expect(bin.binary).toBe(true);
          expect(bin.bytes.equals(Buffer.from(m))).toBe(true);
          expect(text.binary).toBe(false);
          expect(text.bytes.toString()).toBe(`after ${m.byteLength}`);
        }
      }
    } finally {
      for (const ws of clients) ws.close();
      await transport.close();
    }
  });
});
