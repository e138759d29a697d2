// RFC 6455 opcodes and frame headers, for the places that handle WebSocket frames themselves: the ws engine's
// binary messages (server/transport/ws-wire.ts, unmasked) and the load generator's client
// (client/loadtest/raw-websocket.ts, masked with an all-zero key; client/loadtest/frame-reader.ts reads them).

/** RFC 6455 opcodes */
export const Opcode = { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const;

/** Bytes of a final frame's header for a `length`-byte payload (7-, 16- or 64-bit length), plus the mask key. */
export const wsHeaderBytes = (length: number, masked = false): number =>
  (length < 126 ? 2 : length < 0x10000 ? 4 : 10) + (masked ? 4 : 0);

/**
 * Writes a final frame's header (FIN, `opcode`, the length; with `masked`, the mask bit and an all-zero key, which
 * makes the XOR a no-op as the RFC permits) at the start of `out`. Returns its size.
 */
export function writeWsHeader(out: Buffer, opcode: number, length: number, masked = false): number {
  const header = wsHeaderBytes(length, masked);
  const mask = masked ? 0x80 : 0;
  out[0] = 0x80 | opcode;
  if (length < 126) out[1] = mask | length;
  else if (length < 0x10000) {
    out[1] = mask | 126;
    out.writeUInt16BE(length, 2);
  } else {
    out[1] = mask | 127;
    out.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    out.writeUInt32BE(length >>> 0, 6);
  }
  if (masked) out.fill(0, header - 4, header);
  return header;
}
