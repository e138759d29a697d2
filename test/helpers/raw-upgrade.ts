// A WebSocket handshake on a bare TCP socket, for test viewers that parse the server's bytes themselves.
import { type Socket, connect } from 'node:net';
import { handshake } from './raw-socket';

export interface RawUpgrade {
  socket: Socket;
  /** bytes after the 101 head that arrived with it: the start of the WebSocket stream */
  rest: Buffer;
}

/** Connects, upgrades `path`, and resolves after the 101 (rejects with the answer otherwise). No 'data' listener is left on. */
export function rawUpgrade(port: number, path: string): Promise<RawUpgrade> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => socket.write(handshake(port, path)));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      if (!head.subarray(0, 12).toString().includes('101')) return reject(new Error(head.toString()));
      resolve({ socket, rest: head.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}
