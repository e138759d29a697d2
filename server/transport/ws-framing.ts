// Binary sends on the ws engine, framed once per message instead of once per socket. ws's own send makes, for
// every socket, a Buffer view of the payload, an options object, a header buffer and a list of both; the fan-out
// sends one shared message to many viewers in a row, so that was most of the ws engine's garbage. Here the message
// sent last keeps its header; from its second send in a row on, header and payload are one buffer every further
// socket writes as is (one copy per shared message; a message sent once is never copied).
import type { Duplex } from 'node:stream';

/** FIN + binary opcode: a whole, unfragmented binary message */
const FIN_BINARY = 0x82;

let last: Uint8Array | null = null;
let header: Buffer = Buffer.alloc(0);
let payload: Buffer = Buffer.alloc(0);
let joined: Buffer | null = null;

/** A server frame header (never masked) for a binary payload of `length` bytes (RFC 6455 5.2). */
export function binaryFrameHeader(length: number): Buffer {
  if (length < 126) return Buffer.from([FIN_BINARY, length]);
  if (length < 0x10000) {
    const h = Buffer.allocUnsafe(4);
    h[0] = FIN_BINARY;
    h[1] = 126;
    h.writeUInt16BE(length, 2);
    return h;
  }
  const h = Buffer.allocUnsafe(10);
  h[0] = FIN_BINARY;
  h[1] = 127;
  h.writeUInt32BE(Math.floor(length / 0x100000000), 2);
  h.writeUInt32BE(length >>> 0, 6);
  return h;
}

/**
 * Writes `data` to the socket as one binary WebSocket message; `done` runs once the socket flushed it. Only for
 * sockets whose ws sender queues nothing of its own (no permessage-deflate), so this write keeps its order.
 */
export function writeBinaryMessage(socket: Duplex, data: Uint8Array, done: () => void): void {
  if (data === last) {
    joined ??= Buffer.concat([header, payload]);
    socket.write(joined, done);
    return;
  }
  last = data;
  header = binaryFrameHeader(data.byteLength);
  payload = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  joined = null;
  socket.cork();
  socket.write(header);
  socket.write(payload, done);
  socket.uncork();
}
