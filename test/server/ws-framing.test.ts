// ws-engine framing: every size class of the RFC 6455 length field, sent once and several times in a row (the
// joined-buffer path), arrives at a real ws client byte for byte and in order.
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { binaryFrameHeader, writeBinaryMessage } from '../../server/transport/ws-framing';

let server: WebSocketServer | null = null;
afterEach(() => server?.close());

function message(size: number, seed: number): Uint8Array {
  const m = new Uint8Array(size);
  for (let i = 0; i < size; i++) m[i] = (i * 31 + seed) & 0xff;
  return m;
}

describe('ws framing', () => {
  it('encodes the three length forms', () => {
    expect([...binaryFrameHeader(125)]).toEqual([0x82, 125]);
    expect([...binaryFrameHeader(126)]).toEqual([0x82, 126, 0, 126]);
    expect([...binaryFrameHeader(65535)]).toEqual([0x82, 126, 0xff, 0xff]);
    expect([...binaryFrameHeader(65536)]).toEqual([0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect([...binaryFrameHeader(2 ** 32 + 5)]).toEqual([0x82, 127, 0, 0, 0, 1, 0, 0, 0, 5]);
  });

  it('delivers each message whole and in order, shared or not, views into larger buffers included', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: false });
    server = wss;
    await new Promise((resolve) => wss.once('listening', resolve));
    const sizes = [0, 1, 125, 126, 65535, 65536, 200_000];
    const sent: Uint8Array[] = [];
    for (const [i, size] of sizes.entries()) {
      const m = message(size, i);
      // once alone, then three times in a row (as to three caught-up viewers), then a view into a larger buffer
      sent.push(m, m, m, m);
      const wide = message(size + 20, i + 100);
      sent.push(wide.subarray(7, 7 + size));
    }
    let flushed = 0;
    wss.on('connection', (ws) => {
      const socket = (ws as unknown as { _socket: Duplex })._socket;
      for (const m of sent) writeBinaryMessage(socket, m, () => flushed++);
      ws.send('done');
    });
    const { port } = wss.address() as AddressInfo;
    const client = new WebSocket(`ws://127.0.0.1:${port}`);
    const got: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      client.on('message', (data, isBinary) => {
        if (!isBinary) return resolve();
        got.push(data as Buffer);
      });
      client.on('error', reject);
    });
    client.close();
    expect(flushed, 'every write called back once flushed').toBe(sent.length);
    expect(got.map((b) => b.byteLength)).toEqual(sent.map((m) => m.byteLength));
    for (const [i, m] of sent.entries()) expect(Buffer.compare(got[i], Buffer.from(m)), `message ${i}`).toBe(0);
  });
});
