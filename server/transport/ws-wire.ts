// Binary messages of the ws engine, written to the socket without ws.send. Server frames are unmasked, so a message
// the fan-out sends to many viewers in a row is the same bytes on every socket: it is framed once (header and
// payload in one buffer) and each viewer's send is one socket write. ws's own send makes three objects, a Buffer
// view of a Uint8Array and a header per call, and two corked writes.
import type { Duplex } from 'node:stream';
import { Opcode, wsHeaderBytes, writeWsHeader } from '../../shared/ws-frame-header';

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
  const out = Buffer.allocUnsafe(wsHeaderBytes(length) + length);
  out.set(message, writeWsHeader(out, Opcode.Binary, length));
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
  const header = Buffer.allocUnsafe(wsHeaderBytes(message.byteLength));
  writeWsHeader(header, Opcode.Binary, message.byteLength);
  socket.cork();
  socket.write(header);
  socket.write(message, done);
  socket.uncork();
}
