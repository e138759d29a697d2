// Binary messages of the ws engine, written to the socket without ws.send. Server frames are unmasked, so a message
// the fan-out sends to many viewers in a row is the same bytes on every socket: it is framed once (header and
// payload in one buffer) and each viewer's send is one socket write. ws's own send makes three objects, a Buffer
// view of a Uint8Array and a header per call, and two corked writes.
import type { Duplex } from 'node:stream';

/** Bytes of the WebSocket header of an unmasked message of `length` bytes (7-, 16- or 64-bit length). */
const headerBytes = (length: number): number => (length < 126 ? 2 : length < 0x10000 ? 4 : 10);

/** Messages up to this size are framed on first use; a larger one only when a second viewer in a row gets it. */
const FRAME_AT_ONCE_BYTES = 64 * 1024;

/**
 * The last two framed messages: a viewer count rides with the next frame, so viewer after viewer gets the status,
 * then the frame.
 */
const framedCache: { message: Uint8Array | null; bytes: Buffer }[] = [
  { message: null, bytes: Buffer.alloc(0) },
  { message: null, bytes: Buffer.alloc(0) },
];
/** the last large message sent unframed: if the next viewer gets it too, it is framed */
let sentUnframed: Uint8Array | null = null;

/** Writes a final binary frame's header for a `length`-byte payload at the start of `out`. */
function writeHeader(out: Buffer, length: number): void {
  out[0] = 0x82; // FIN, binary
  const header = headerBytes(length);
  if (header === 2) out[1] = length;
  else if (header === 4) {
    out[1] = 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = 127;
    out.writeUInt16BE(0, 2);
    out.writeUIntBE(length, 4, 6); // lengths stay far below 2^48
  }
}

/**
 * `message` framed for the wire, or null when it should go as header and payload: a large message sent to one
 * viewer (a joiner's whole picture) is not worth a copy of itself.
 */
function framed(message: Uint8Array): Buffer | null {
  const [last, before] = framedCache;
  if (last.message === message) return last.bytes;
  if (before.message === message) return before.bytes;
  const length = message.byteLength;
  if (length > FRAME_AT_ONCE_BYTES && sentUnframed !== message) {
    sentUnframed = message;
    return null;
  }
  const header = headerBytes(length);
  const out = Buffer.allocUnsafe(header + length);
  writeHeader(out, length);
  out.set(message, header);
  // the older entry makes way
  before.message = message;
  before.bytes = out;
  framedCache[0] = before;
  framedCache[1] = last;
  return out;
}

/**
 * Sends `message` as one binary WebSocket message on `socket`, in order with whatever else is written to it.
 * Never copies a large message for a single viewer: that goes as its header, then the payload itself, in one
 * corked write.
 */
export function writeBinary(socket: Duplex, message: Uint8Array, done: (err?: Error | null) => void): void {
  const bytes = framed(message);
  if (bytes) {
    socket.write(bytes, done);
    return;
  }
  const header = Buffer.allocUnsafe(headerBytes(message.byteLength));
  writeHeader(header, message.byteLength);
  socket.cork();
  socket.write(header);
  socket.write(message, done);
  socket.uncork();
}
