// Relays more than 2^31 bytes through one room to one viewer, so every byte counter on the way (the room's bytes
// in and out, the viewer's bytes out) passes 2^31, in frames stamped with epoch capture times as presenters stamp
// them. byte-counters.test.ts runs it under --trace-deopt.
import { ingestPresenterMessage } from '../../../server/ingest/presenter-ingest';
import { createLogger } from '../../../server/log';
import { Room } from '../../../server/room/room';
import type { Connection } from '../../../server/transport/types';
import { FrameField, encodeFrame, encodeGeometry } from '../../../shared/protocol';

const TILE_BYTES = 64 * 1024;
const FRAMES = Math.ceil(2 ** 31 / TILE_BYTES) + 2000;
const LIMITS = { maxTileBytes: 1 << 20, maxTilesPerFrame: 100, maxTilesPerRoom: 1000, maxGeometryChangesPerSecond: 10 };

/** an engine that takes everything at once and keeps nothing */
const conn: Connection = {
  context: null,
  open: true,
  send: () => true,
  bufferedAmount: () => 0,
  cork: (fn) => fn(),
  close() {},
};

const room = new Room(
  {
    id: 'r',
    name: 'r',
    private: false,
    record: false,
    graceMs: 0,
    maxScreenshotBytes: 1 << 30,
    maxViewers: 10,
    highWater: 1 << 20,
    fanoutBudget: 20_000,
    batchFanout: true,
    ackWindow: Number.POSITIVE_INFINITY,
  },
  createLogger('silent'),
  () => {},
);
room.attachPresenter({ ...conn });
ingestPresenterMessage(room, encodeGeometry({ width: 256, height: 256, tileSize: 64 }), LIMITS);
room.addViewer(conn);
// bytes no image sniffer recognises: nothing to decode, as in frame-block.test.ts
const payload = new Uint8Array(TILE_BYTES).fill(7);
const frames = Array.from({ length: 16 }, (_, i) =>
  encodeFrame(1, Date.now(), [{ col: i % 4, row: i >> 2, codec: 'png', payload }]),
);
// what the deopt trace says before this line is module loading (Node's and tsx's own code), not the relay
console.log('relay starts');
for (let seq = 1; seq <= FRAMES; seq++) {
  const frame = frames[seq % 16];
  new DataView(frame.buffer).setUint32(FrameField.seq, seq, true);
  ingestPresenterMessage(room, frame, LIMITS);
  if (seq % 64 === 0) await new Promise((resolve) => setImmediate(resolve)); // the fan-out steps run
}
await new Promise((resolve) => setImmediate(resolve));
const info = room.info();
console.log(
  JSON.stringify({ bytesIn: info.bytesIn, bytesOut: info.bytesOut, viewerBytesOut: room.viewerStats()[0].bytesOut }),
);
room.end('done');
