// How the generator talks to each kind of target: tilecast itself, a plain forwarding server (the raw uWS and ws
// baselines), or Socket.IO. Viewers read the same 16-byte tile header and 20-byte sync from all three.
import {
  type Geometry,
  FrameFlag,
  PROTOCOL_VERSION,
  encodeFrame,
  encodeGeometry,
  encodeSync,
  encodeTile,
} from '../../shared/protocol';
import type { ContentTile } from './content';

export type ProtocolName = 'tilecast' | 'forward' | 'forward-frames' | 'socketio';

export interface RoomTarget {
  id: string;
  presenterUrl: string;
  viewerUrl: string;
}

export type Outgoing = Uint8Array | string;

export interface Protocol {
  name: ProtocolName;
  createRoom(httpBase: string, n: number, adminToken?: string): Promise<RoomTarget>;
  /** what to send right after the WebSocket opens; `ready` false means wait for onText to report ready */
  opened(): { send: Outgoing[]; ready: boolean };
  /** handles a text message; returns replies and whether the connection just became ready */
  text(text: string): { send: Outgoing[]; ready: boolean };
  geometry(g: Geometry): Outgoing[];
  frame(seq: number, captureTs: number, codec: 'webp' | 'jpeg' | 'png', tiles: readonly ContentTile[]): Outgoing[];
  /** a message that keeps a silent (stalled) connection alive without asking for a reply, or null for a WS pong */
  heartbeat(): string | null;
  /**
   * What a viewer sends once it has read its `syncs`-th sync, as the browser viewer does once it painted one. The
   * relay baselines get the same acks and ignore them (the same viewers against every server); null for Socket.IO.
   */
  ack(syncs: number): string | null;
}

const wsBase = (httpBase: string) => httpBase.replace(/^http/, 'ws');
const tilecastAck = (syncs: number) => `{"type":"ack","syncs":${syncs}}`;

const tilecast: Protocol = {
  name: 'tilecast',
  async createRoom(httpBase, n, adminToken) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (adminToken) headers.authorization = `Bearer ${adminToken}`;
    const res = await fetch(`${httpBase}/api/rooms`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: `loadtest-${n}` }),
    });
    const body = (await res.json().catch(() => null)) as {
      id: string;
      presenterToken: string;
      viewerToken: string | null;
      error?: { message: string };
    } | null;
    if (res.status !== 201 || !body?.id)
      throw new Error(
        `POST ${httpBase}/api/rooms answered ${res.status}: ${body?.error?.message ?? 'no room in the body'}`,
      );
    const view = `${wsBase(httpBase)}/ws/view/${body.id}`;
    return {
      id: body.id,
      presenterUrl: `${wsBase(httpBase)}/ws/present/${body.id}?token=${encodeURIComponent(body.presenterToken)}`,
      viewerUrl: body.viewerToken ? `${view}?token=${encodeURIComponent(body.viewerToken)}` : view,
    };
  },
  opened: () => ({
    send: [JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, client: 'tilecast-loadtest' })],
    ready: true,
  }),
  text: () => ({ send: [], ready: false }),
  geometry: (g) => [encodeGeometry(g)],
  frame: (seq, ts, codec, tiles) => [
    encodeFrame(
      seq,
      ts,
      tiles.map((t) => ({ col: t.col, row: t.row, codec, payload: t.payload })),
    ),
  ],
  heartbeat: () => null,
  ack: tilecastAck,
};

/** The baselines relay every presenter message as-is, so the presenter sends tiles and its own sync. */
function forwardFrame(
  seq: number,
  ts: number,
  codec: 'webp' | 'jpeg' | 'png',
  tiles: readonly ContentTile[],
): Uint8Array[] {
  const out: Uint8Array[] = tiles.map((t) => encodeTile({ col: t.col, row: t.row, codec, payload: t.payload }, seq));
  out.push(encodeSync(seq, ts, 0));
  return out;
}

/** The whole-frame relay baseline forwards the presenter's Frame as is, so it carries its sync (EndsWithSync). */
function relayFrame(
  seq: number,
  ts: number,
  codec: 'webp' | 'jpeg' | 'png',
  tiles: readonly ContentTile[],
): Uint8Array[] {
  const frame = encodeFrame(
    seq,
    ts,
    tiles.map((t) => ({ col: t.col, row: t.row, codec, payload: t.payload })),
  );
  frame[2] |= FrameFlag.EndsWithSync;
  return [frame];
}

let roomCounter = 0;
const localRoom = (n: number) => `r${process.pid.toString(36)}x${n}x${(roomCounter++).toString(36)}`;

const forward: Protocol = {
  name: 'forward',
  async createRoom(httpBase, n) {
    const id = localRoom(n);
    return { id, presenterUrl: `${wsBase(httpBase)}/ws/present/${id}`, viewerUrl: `${wsBase(httpBase)}/ws/view/${id}` };
  },
  opened: () => ({ send: [], ready: true }),
  text: () => ({ send: [], ready: false }),
  geometry: (g) => [encodeGeometry(g)],
  frame: forwardFrame,
  heartbeat: () => null,
  ack: tilecastAck,
};

const forwardFrames: Protocol = { ...forward, name: 'forward-frames', frame: relayFrame };

// Engine.IO v4 over a bare WebSocket: '0' open, '40' namespace connect, '2'/'3' ping/pong, and a binary event is a
// text header ('451-[...]' with a placeholder) followed by the raw binary frame.
const EVENT_HEADER = '451-["m",{"_placeholder":true,"num":0}]';
const socketio: Protocol = {
  name: 'socketio',
  async createRoom(httpBase, n) {
    const id = localRoom(n);
    const base = `${wsBase(httpBase)}/socket.io/?EIO=4&transport=websocket&room=${id}`;
    return { id, presenterUrl: `${base}&role=presenter`, viewerUrl: `${base}&role=viewer` };
  },
  opened: () => ({ send: [], ready: false }),
  text(text) {
    if (text.startsWith('0{')) return { send: ['40'], ready: false };
    if (text.startsWith('40')) return { send: [], ready: true };
    if (text === '2') return { send: ['3'], ready: false };
    return { send: [], ready: false };
  },
  geometry: (g) => [EVENT_HEADER, encodeGeometry(g)],
  frame: (seq, ts, codec, tiles) => forwardFrame(seq, ts, codec, tiles).flatMap((m) => [EVENT_HEADER, m]),
  heartbeat: () => '3',
  ack: () => null,
};

export const PROTOCOLS: Record<ProtocolName, Protocol> = {
  tilecast,
  forward,
  'forward-frames': forwardFrames,
  socketio,
};
