// The ws engine writes binary messages to the socket itself (server/transport/ws-wire.ts), framed once per message
// and shared by every connection. Every header length (7-bit, 16-bit, 64-bit), views into a larger buffer, the same
// message to several peers, two shared messages taking turns (a viewer count riding with each frame) and text
// frames between binary ones must reach a standard client (ws) intact and in order; a large message sent to a
// single peer (a joiner's whole picture) must not be copied for it.
import { afterEach, describe, expect, it, vi } from 'vitest';
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

/**
 * Starts a ws transport, connects `count` ws clients and calls `send` with the server's connections once all are
 * open; resolves with what each client received once each has `expected` messages.
 */
async function exchange(
  count: number,
  expected: number,
  send: (peers: Connection<null>[]) => void,
): Promise<Received[][]> {
  const peers: Connection<null>[] = [];
  const transport = createWsTransport(
    transportOptions({
      open: (conn) => {
        peers.push(conn);
        if (peers.length === count) send(peers);
      },
      message: () => {},
      drain: () => {},
      close: () => {},
    }),
  );
  const port = await transport.listen('127.0.0.1', 0);
  const received: Received[][] = Array.from({ length: count }, () => []);
  const clients = received.map((log) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.on('message', (data: Buffer, isBinary: boolean) => log.push({ binary: isBinary, bytes: data }));
    return ws;
  });
  try {
    await waitFor('every peer got everything', () => received.every((log) => log.length === expected));
    return received;
  } finally {
    for (const ws of clients) ws.close();
    await transport.close();
  }
}

describe('ws engine: binary messages written to the socket', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('every size, shared by two peers, in order with a shared status and text messages', async () => {
    const messages = SIZES.map(message);
    const received = await exchange(2, 3 * SIZES.length, (peers) => {
      // each message to both peers in a row, as the fan-out sends a shared frame, each peer's after the same
      // status (so the two shared messages take turns); a text message between
      for (const m of messages) {
        for (const p of peers) {
          expect(p.send(STATUS)).toBe(true);
          expect(p.send(m)).toBe(true);
        }
        for (const p of peers) p.send(`after ${m.byteLength}`, false);
      }
    });
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
  });

  it('a large message is copied for the wire only once a second peer in a row gets it', async () => {
    const big = message(1 << 20);
    const other = message(300_000);
    const copies: number[] = [];
    const allocUnsafe = Buffer.allocUnsafe;
    vi.spyOn(Buffer, 'allocUnsafe').mockImplementation((size: number) => {
      if (size >= other.byteLength) copies.push(size);
      return allocUnsafe(size);
    });
    const received = await exchange(3, 2, (peers) => {
      // one joiner gets `big`, another `other`: no copy; then `big` to two peers in a row: one copy, shared
      expect(peers[0].send(big)).toBe(true);
      expect(peers[1].send(other)).toBe(true);
      expect(copies).toEqual([]);
      expect(peers[1].send(big)).toBe(true);
      expect(peers[2].send(big)).toBe(true);
      expect(copies).toEqual([big.byteLength + 10]);
      expect(peers[0].send(other)).toBe(true);
      expect(peers[2].send(other)).toBe(true);
    });
    const want = [
      [big, other],
      [other, big],
      [big, other],
    ];
    for (const [i, log] of received.entries())
      for (const [k, m] of want[i].entries()) {
        expect(log[k].binary).toBe(true);
        expect(log[k].bytes.equals(Buffer.from(m)), `peer ${i} message ${k}`).toBe(true);
      }
  });
});
