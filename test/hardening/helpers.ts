// Shared pieces of the hardening tests: hostile images, and a healthy room whose viewer proves others are unharmed.
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { TilecastServer } from '../../server/app';
import { type Geometry, encodeFrame, encodeGeometry } from '../../shared/protocol';
import { type TestClient, connect } from '../helpers/client';
import { createRoom, waitFor, wsUrl } from '../helpers/server';

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A PNG that declares width x height (8-bit RGB) with `zeroBytes` of zero scanlines deflated: ~1000:1, so 24 MB of
 * zeros make a ~24 KB file. Decoders allocate the declared size (14000x14000x3 = 588 MB) before they find the
 * data is short.
 */
export function pngBomb(width: number, height: number, zeroBytes = 24 * 1024 * 1024): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(zeroBytes), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A TIFF whose tags declare width x height: a format the ingest header check does not read (sharp does). */
export async function tiffBomb(width: number, height: number): Promise<Buffer> {
  const b = Buffer.from(
    await sharp({ create: { width: 3, height: 5, channels: 3, background: '#f00' } })
      .tiff({ compression: 'deflate' })
      .toBuffer(),
  );
  const ifd = b.readUInt32LE(4);
  for (let i = 0, n = b.readUInt16LE(ifd); i < n; i++) {
    const at = ifd + 2 + i * 12;
    const tag = b.readUInt16LE(at);
    if (tag !== 256 && tag !== 257) continue;
    const value = tag === 256 ? width : height;
    if (b.readUInt16LE(at + 2) === 3) b.writeUInt16LE(value, at + 8);
    else b.writeUInt32LE(value, at + 8);
  }
  return b;
}

export function solidPng(
  width: number,
  height: number,
  rgb: [number, number, number] = [0, 128, 255],
): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .png()
    .toBuffer();
}

export const rssMB = () => process.memoryUsage().rss / (1024 * 1024);

/**
 * A room with a presenter sending a small frame every `everyMs` and one viewer; `stop()` reports how many syncs
 * the viewer got and the longest gap between two of them: the measure of "other rooms are unaffected".
 */
export async function startHeartbeat(server: TilecastServer, everyMs = 20) {
  const geometry: Geometry = { width: 64, height: 64, tileSize: 64 };
  const tile = await solidPng(64, 64);
  const room = await createRoom(server);
  const presenter = await connect(wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`));
  const viewer: TestClient = await connect(wsUrl(server, `/ws/view/${room.id}`));
  presenter.send(encodeGeometry(geometry));
  let seq = 0;
  const send = () => presenter.send(encodeFrame(++seq, Date.now(), [{ col: 0, row: 0, codec: 'png', payload: tile }]));
  send();
  await viewer.waitSync(1);
  const arrivals: number[] = [];
  let seen = viewer.syncs.length;
  const timer = setInterval(() => {
    const now = Date.now();
    for (; seen < viewer.syncs.length; seen++) arrivals.push(now);
    send();
  }, everyMs);
  const started = Date.now();
  return {
    viewer,
    async stop(): Promise<{ syncs: number; maxGapMs: number }> {
      clearInterval(timer);
      const last = seq;
      await waitFor('heartbeat viewer to catch up', () => viewer.syncs.includes(last), 10_000);
      const points = [started, ...arrivals, Date.now()];
      let maxGapMs = 0;
      for (let i = 1; i < points.length; i++) maxGapMs = Math.max(maxGapMs, points[i] - points[i - 1]);
      await presenter.close();
      await viewer.close();
      return { syncs: arrivals.length, maxGapMs };
    },
  };
}
