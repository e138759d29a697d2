// shared/PROTOCOL.md is the contract for outside clients: its tables are parsed here and held against the code.
// Each binary layout is checked both ways: what the encoders write reads back through the document's offsets,
// and bytes written from the document alone decode to the same values. Close codes, constants, welcome.limits
// and the order of a join (on a real server, both engines) come from the document too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { TilecastServer } from '../../server/app';
import * as protocol from '../../shared/protocol';
import {
  CURSOR_BYTES,
  CloseCode,
  EngineCloseCode,
  Common,
  CursorField,
  ERROR_HEADER_BYTES,
  ErrorField,
  FRAME_HEADER_BYTES,
  FrameField,
  GEOMETRY_BYTES,
  GeometryField,
  MOTION_HEADER_BYTES,
  type Message,
  MessageType,
  MotionField,
  STATUS_BYTES,
  SYNC_BYTES,
  ServerControl,
  StatusField,
  SyncField,
  TILE_HEADER_BYTES,
  TileField,
  decodeMessage,
  encodeCursor,
  encodeError,
  encodeFrame,
  encodeGeometry,
  encodeMotion,
  encodeStatus,
  encodeSync,
  encodeTile,
} from '../../shared/protocol';
import { ENGINES, createRoom, startTestServer, waitFor, wsUrl } from '../helpers/server';
import { type DocField, code, docTable, parseLayout, readField, writeField } from './doc-tables';

const PAYLOAD = new Uint8Array([9, 8, 7]);
const MOTION = {
  key: true,
  codec: 'vp8',
  seq: 7,
  captureTs: 1234.5,
  col: 2,
  row: 3,
  columns: 4,
  rows: 5,
  payload: PAYLOAD,
} as const;
const TEXT = 'bad tile';

/** Per documented message: its code-side size constant and field offsets, an encoded sample and its field values. */
const MESSAGES: Record<
  string,
  {
    size: number;
    offsets: Record<string, number>;
    sample: Uint8Array;
    values: Record<string, number>;
    tail: Uint8Array;
    decoded: object;
  }
> = {
  frame: {
    size: FRAME_HEADER_BYTES,
    offsets: FrameField,
    sample: encodeFrame(7, 1234.5, [{ col: 1, row: 2, codec: 'png', payload: PAYLOAD }]),
    values: { flags: 0, seq: 7, captureTs: 1234.5, tileCount: 1 },
    tail: encodeTile({ col: 1, row: 2, codec: 'png', payload: PAYLOAD }, 7),
    decoded: {
      flags: 0,
      seq: 7,
      captureTs: 1234.5,
      tiles: [{ col: 1, row: 2, codec: 'png', seq: 7, payload: PAYLOAD }],
    },
  },
  tile: {
    size: TILE_HEADER_BYTES,
    offsets: TileField,
    sample: encodeTile({ col: 1, row: 2, codec: 'png', payload: PAYLOAD }, 7),
    values: { codec: 3, flags: 0, col: 1, row: 2, seq: 7, payloadLength: PAYLOAD.length },
    tail: PAYLOAD,
    decoded: { col: 1, row: 2, codec: 'png', seq: 7, payload: PAYLOAD },
  },
  geometry: {
    size: GEOMETRY_BYTES,
    offsets: GeometryField,
    sample: encodeGeometry({ width: 1280, height: 720, tileSize: 64 }),
    values: { width: 1280, height: 720, tileSize: 64 },
    tail: new Uint8Array(0),
    decoded: { geometry: { width: 1280, height: 720, tileSize: 64 } },
  },
  cursor: {
    size: CURSOR_BYTES,
    offsets: CursorField,
    sample: encodeCursor(300, 200, true),
    values: { visible: 1, x: 300, y: 200 },
    tail: new Uint8Array(0),
    decoded: { visible: true, x: 300, y: 200 },
  },
  sync: {
    size: SYNC_BYTES,
    offsets: SyncField,
    sample: encodeSync(7, 1234.5, 5),
    values: { seq: 7, captureTs: 1234.5, skipped: 5 },
    tail: new Uint8Array(0),
    decoded: { seq: 7, captureTs: 1234.5, skipped: 5 },
  },
  motion: {
    size: MOTION_HEADER_BYTES,
    offsets: MotionField,
    sample: encodeMotion(MOTION),
    values: { flags: 1, codec: 1, seq: 7, captureTs: 1234.5, col: 2, row: 3, columns: 4, rows: 5, payloadLength: 3 },
    tail: PAYLOAD,
    // what decoding gives back is exactly what was encoded
    decoded: MOTION,
  },
  status: {
    size: STATUS_BYTES,
    offsets: StatusField,
    sample: encodeStatus('live', 42),
    values: { state: 1, viewers: 42 },
    tail: new Uint8Array(0),
    decoded: { state: 'live', viewers: 42 },
  },
  error: {
    size: ERROR_HEADER_BYTES,
    offsets: ErrorField,
    sample: encodeError(4000, TEXT),
    values: { code: 4000 },
    tail: new TextEncoder().encode(TEXT),
    decoded: { code: 4000, message: TEXT },
  },
};

const binaryRows = docTable('type').map(([type, name, direction, layout, bytes, then]) => ({
  type: Number(code(type)),
  name,
  direction,
  ...parseLayout(layout),
  documentedBytes: Number(bytes),
  then,
}));

describe('PROTOCOL.md binary message table', () => {
  it('documents every message type the code has, and no other', () => {
    const camel = (name: string) => name[0].toUpperCase() + name.slice(1);
    expect(Object.fromEntries(binaryRows.map((r) => [camel(r.name), r.type]))).toEqual({ ...MessageType });
  });

  describe.each(binaryRows)('$name', (row) => {
    const m = MESSAGES[row.name];
    const named = (f: DocField) => f.name !== '0' && f.name !== 'version' && f.name !== 'type';

    it('has the fixed size of the code, counting [version][type]', () => {
      expect(row.bytes).toBe(row.documentedBytes);
      expect(row.bytes).toBe(m.size);
      expect(row.fields.slice(0, 2)).toEqual([
        { name: 'version', type: 'u8', offset: Common.version },
        { name: 'type', type: 'u8', offset: Common.type },
      ]);
    });

    it('puts every field at the offset shared/protocol/header.ts uses', () => {
      const documented = Object.fromEntries(row.fields.filter(named).map((f) => [f.name, f.offset]));
      expect(documented).toEqual({ ...m.offsets });
    });

    it('reads what the encoder wrote at the documented offsets, reserved bytes 0, then the documented tail', () => {
      const view = new DataView(m.sample.buffer, m.sample.byteOffset, m.sample.byteLength);
      const read = Object.fromEntries(
        row.fields.filter((f) => f.name !== '0').map((f) => [f.name, readField(view, 0, f)]),
      );
      expect(read).toEqual({ ...m.values, version: protocol.PROTOCOL_VERSION, type: row.type });
      for (const f of row.fields.filter((f) => f.name === '0')) expect(readField(view, 0, f)).toBe(0);
      expect(m.sample.subarray(row.bytes)).toEqual(m.tail);
    });

    it('decodes a message written from the document alone', () => {
      const bytes = new Uint8Array(row.bytes + m.tail.byteLength);
      const view = new DataView(bytes.buffer);
      const values: Record<string, number> = {
        ...m.values,
        version: protocol.PROTOCOL_VERSION,
        type: row.type,
        '0': 0,
      };
      for (const f of row.fields) writeField(view, 0, f, values[f.name]);
      bytes.set(m.tail, row.bytes);
      expect(decodeMessage(bytes, { geometry: { width: 1280, height: 720, tileSize: 64 } })).toMatchObject({
        type: row.type,
        ...m.decoded,
      } as Partial<Message>);
    });
  });

  it('says the frame header is 20 bytes and each tile record has the 16-byte tile header', () => {
    const frame = binaryRows.find((r) => r.name === 'frame')!;
    expect(Number(/(\d+)-byte header/.exec(frame.then)?.[1])).toBe(TILE_HEADER_BYTES);
    expect(frame.bytes).toBe(FRAME_HEADER_BYTES);
  });
});

describe('PROTOCOL.md tables of values', () => {
  it('close codes: every code the server uses, with its number', () => {
    const rows = docTable('code').map(([c, name]) => [name, Number(c)]);
    expect(Object.fromEntries(rows)).toEqual({ ...CloseCode, ...EngineCloseCode });
  });

  it('constants: each documented value is the one in shared/protocol', () => {
    const rows = docTable('constant');
    expect(rows.length).toBeGreaterThan(10);
    for (const [name, value] of rows) {
      const actual = code(name)
        .split('.')
        .reduce<unknown>((o, key) => (o as Record<string, unknown>)?.[key], protocol);
      expect({ name: code(name), value: actual }).toEqual({ name: code(name), value: Number(value) });
    }
  });

  it('welcome.limits: exactly the fields of the welcome message schema', () => {
    const welcome = ServerControl.options.find((o) => o.shape.type.value === 'welcome')!;
    const documented = docTable('field').map(([f]) => code(f));
    expect(documented.sort()).toEqual(
      Object.keys((welcome.shape as { limits: { shape: object } }).limits.shape).sort(),
    );
  });
});

// ---- the join order, on a real server ------------------------------------------------------------------------

const NAMES: Record<number, string> = { 1: 'frame', 2: 'geometry', 3: 'cursor', 16: 'tile', 17: 'sync', 18: 'status' };

/** A Frame that carries its sync (EndsWithSync) ends a picture, as a sync does. */
const nameOf = (d: Buffer): string =>
  d[1] === 1 && d[2] & 1 ? 'frame+sync' : (NAMES[d[1]] ?? `0x${d[1].toString(16)}`);
const SYNCS = ['sync', 'frame+sync'];

/** A socket that records every message from the first byte on, as documented tokens. */
class Recorder {
  readonly ws: WebSocket;
  readonly got: string[] = [];
  closeCode = 0;
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('error', () => {});
    this.ws.on('message', (d: Buffer, binary: boolean) =>
      this.got.push(binary ? nameOf(d) : JSON.parse(d.toString()).type),
    );
    this.ws.on('close', (c) => (this.closeCode = c));
  }
  /** The messages up to (not including) the first `stop`, with the status updates that follow the first status left out. */
  upTo(stop?: string): string[] {
    const end = stop ? this.got.indexOf(stop) : -1;
    const head = end < 0 ? this.got : this.got.slice(0, end);
    const first = head.indexOf('status');
    return head.filter((t, i) => t !== 'status' || i === first);
  }
}

/**
 * `welcome, geometry, status, cursor, frame…` against what arrived: `frame…` is one or more Frame messages, the
 * last one carrying its sync; `tile…` is one or more tiles.
 */
function expectOrder(got: string[], documented: string): void {
  const tokens = code(documented).split(', ');
  const collapsed: string[] = [];
  for (const t of got) {
    const run = t === 'tile' ? 'tile…' : t === 'frame' || t === 'frame+sync' ? 'frame…' : t;
    if (run.endsWith('…') && collapsed.at(-1) === run) continue;
    collapsed.push(run);
  }
  expect(collapsed).toEqual(tokens);
}

const JOIN = Object.fromEntries(docTable('joiner').map(([who, order]) => [who, order]));

describe.each(ENGINES)('PROTOCOL.md join order on %s', (engine) => {
  let server: TilecastServer;
  beforeAll(async () => {
    server = await startTestServer(engine);
  });
  afterAll(() => server.close());

  it('every documented joiner gets exactly the documented first messages', async () => {
    expect(Object.keys(JOIN)).toHaveLength(5);
    const room = await createRoom(server);
    const presenterUrl = wsUrl(server, `/ws/present/${room.id}?token=${room.presenterToken}`);
    const viewerUrl = wsUrl(server, `/ws/view/${room.id}`);
    const presenter = new Recorder(presenterUrl);
    await waitFor('presenter joined', () => presenter.got.length >= 2);
    expectOrder(presenter.upTo(), JOIN['presenter, new or resuming']);

    const noGeometry = new Recorder(viewerUrl);
    await waitFor('viewer joined', () => noGeometry.got.length >= 2);
    expectOrder(noGeometry.upTo(), JOIN['viewer, room without a geometry']);

    presenter.ws.send(encodeGeometry({ width: 128, height: 64, tileSize: 64 }));
    presenter.ws.send(encodeCursor(5, 6));
    await waitFor('cursor relayed', () => noGeometry.got.includes('cursor'));
    const noFrame = new Recorder(viewerUrl);
    await waitFor('viewer joined', () => noFrame.got.includes('cursor'));
    // nothing more until the first frame: no tile, no sync before it
    presenter.ws.send(
      encodeFrame(
        1,
        Date.now(),
        [0, 1].map((col) => ({ col, row: 0, codec: 'png' as const, payload: new Uint8Array([col]) })),
      ),
    );
    await waitFor('first frame', () => noFrame.got.some((t) => SYNCS.includes(t)));
    const first = noFrame.got.findIndex((t) => t === 'frame' || t === 'frame+sync' || t === 'tile');
    expectOrder(noFrame.upTo(noFrame.got[first]), JOIN['viewer, geometry but no frame yet']);

    const late = new Recorder(viewerUrl);
    await waitFor('late joiner synced', () => late.got.some((t) => SYNCS.includes(t)));
    const head = late.upTo();
    expectOrder(head.slice(0, head.findIndex((t) => SYNCS.includes(t)) + 1), JOIN['viewer, room with a picture']);

    presenter.ws.terminate(); // a drop: the room waits for the presenter to resume
    await waitFor('reconnecting', () => server.rooms.get(room.id)!.state === 'reconnecting');
    const resumed = new Recorder(presenterUrl);
    await waitFor('presenter resumed', () => resumed.got.length >= 2);
    expectOrder(resumed.upTo(), JOIN['presenter, new or resuming']);

    resumed.ws.send(JSON.stringify({ type: 'end' }));
    await waitFor('room ended', () => server.rooms.get(room.id)?.ended ?? true);
    const after = new Recorder(viewerUrl);
    await waitFor('closed', () => after.closeCode);
    expect(JOIN['viewer, room that has ended']).toMatch(/^`status` \(ended\), then close 1000/);
    expect(after.got).toEqual(['status']);
    expect(after.closeCode).toBe(CloseCode.Normal);
    for (const r of [noGeometry, noFrame, late]) r.ws.terminate();
  });
});
