// The ws engine's drain, which ws itself does not have: it must wake the app after backpressure (a stalled reader
// that reads again), and must not run for a reader that keeps up (a drain per send cost the fan-out a microtask and
// a cork per viewer and frame).
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createWsTransport } from '../../server/transport/ws';
import type { Connection, Transport } from '../../server/transport/types';
import { transportOptions } from '../helpers/transport-options';
import { Opcode as RawOpcode, clientFrame } from '../helpers/raw-socket';
import { rawUpgrade } from '../helpers/raw-upgrade';
import { sleep, waitFor } from '../helpers/server';
import { Opcode, WsStreamChecker } from '../helpers/ws-stream-checker';

const MESSAGE_BYTES = 8 * 1024;

interface Log {
  sent: number;
  drains: number;
  /** times the app saw bytes buffered before a send (each may earn it one drain) */
  sawBuffered: number;
  /** the app stopped: it saw bytes buffered, as the fan-out's high-water check does */
  held: boolean;
}

/** On the client's first message, sends `count` messages, or until the app sees bytes buffered when `untilHeld`. */
function serve(log: Log, count: number, untilHeld: boolean): Transport {
  const options = transportOptions({
    open: () => {},
    message: (conn: Connection<null>) => {
      const step = () => {
        // checked before every send, as the fan-out's sender does
        if (conn.bufferedAmount() > 0) {
          log.sawBuffered++;
          if (untilHeld) {
            log.held = true;
            return;
          }
        }
        conn.send(Buffer.alloc(MESSAGE_BYTES, log.sent & 0xff));
        log.sent++;
        if (untilHeld || log.sent < count) setImmediate(step);
      };
      step();
    },
    drain: () => {
      log.drains++;
    },
    close: () => {},
  });
  return createWsTransport(options);
}

async function client(port: number, stalled: boolean): Promise<{ socket: Socket; received: () => number }> {
  let received = 0;
  const checker = new WsStreamChecker((opcode) => {
    if (opcode === Opcode.Binary) received++;
  });
  const { socket, rest } = await rawUpgrade(port, '/');
  if (stalled) socket.pause();
  if (rest.length) checker.write(rest);
  socket.on('data', (d: Buffer) => checker.write(d));
  socket.write(clientFrame(RawOpcode.Text, Buffer.from('go')));
  return { socket, received: () => received };
}

describe('ws engine drain', () => {
  it('does not run for a reader that keeps up', async () => {
    const log: Log = { sent: 0, drains: 0, sawBuffered: 0, held: false };
    const transport = serve(log, 200, false);
    const port = await transport.listen('127.0.0.1', 0);
    try {
      const c = await client(port, false);
      await waitFor('every message read', () => c.received() === 200, 10_000);
      await sleep(50);
      // a send that found bytes still buffered may earn a drain; one that found none must not
      expect(log.drains).toBeLessThanOrEqual(log.sawBuffered);
      c.socket.destroy();
    } finally {
      await transport.close();
    }
  });

  it('wakes the app once a stalled reader reads again', async () => {
    const log: Log = { sent: 0, drains: 0, sawBuffered: 0, held: false };
    const transport = serve(log, 0, true);
    const port = await transport.listen('127.0.0.1', 0);
    try {
      const c = await client(port, true);
      await waitFor('the app saw bytes buffered', () => log.held, 10_000);
      const before = log.drains;
      c.socket.resume();
      await waitFor('drained', () => log.drains > before, 10_000);
      await waitFor('every message read', () => c.received() === log.sent, 10_000);
      c.socket.destroy();
    } finally {
      await transport.close();
    }
  });
});
