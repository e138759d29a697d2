// The servers the bench compares, each started as its own process, and how the load generator talks to each.
import type { ProtocolName } from '../loadtest/protocols';
import { TILECAST_SERVER_ARGS as LOADTEST_ARGS } from '../loadtest/target';

/** The bench creates up to 100 rooms from one address in a burst: no room-creation rate limit. */
const TILECAST_SERVER_ARGS = [...LOADTEST_ARGS, '--room-create-per-minute', '0', '--room-create-burst', '100000'];

export interface BenchServer {
  name: ServerName;
  script: string;
  args: string[];
  protocol: ProtocolName;
  /** keeps a ScreenShot and coalesces: the final picture of a stalled viewer must converge */
  tile: boolean;
  /** extra load-test flags for this server's runs */
  loadArgs?: string[];
}

export const SERVER_NAMES = [
  'tilecast-uws',
  'tilecast-ws',
  'uws-publish-frames',
  'uws-publish',
  'ws-broadcast',
  'socketio',
] as const;
/** run only when named with --servers: tilecast with batching off (one message per tile), to show what batching buys;
 * tilecast on uWS with the engine's unsafe direct large sends, to show what the default 'settled' workaround costs,
 * and with the other workarounds ('fragment': never whole; 'guarded', 'subscribe'); tilecast on uWS with viewers that
 * never ack (so never settled) and frame publish with the same viewers; and the ws engine's own floor, the naive ws
 * loop relaying the presenter's whole frames (what tilecast-ws's ratio to uWS frame publish is bounded by) */
export const EXTRA_SERVER_NAMES = [
  'ws-broadcast-frames',
  'tilecast-uws-tiles',
  'tilecast-ws-tiles',
  'tilecast-uws-direct',
  'tilecast-uws-fragment',
  'tilecast-uws-noacks',
  'uws-publish-frames-noacks',
  'tilecast-uws-guarded',
  'tilecast-uws-subscribe',
] as const;
export type ServerName = (typeof SERVER_NAMES)[number] | (typeof EXTRA_SERVER_NAMES)[number];
export const ALL_SERVER_NAMES: readonly ServerName[] = [...SERVER_NAMES, ...EXTRA_SERVER_NAMES];

export const SERVERS: Record<ServerName, BenchServer> = {
  'tilecast-uws': {
    name: 'tilecast-uws',
    script: 'server/main.ts',
    args: ['--engine', 'uws', ...TILECAST_SERVER_ARGS],
    protocol: 'tilecast',
    tile: true,
  },
  'tilecast-ws': {
    name: 'tilecast-ws',
    script: 'server/main.ts',
    args: ['--engine', 'ws', ...TILECAST_SERVER_ARGS],
    protocol: 'tilecast',
    tile: true,
  },
  'uws-publish-frames': {
    name: 'uws-publish-frames',
    script: 'client/bench/baselines/uws-publish-frames.ts',
    args: [],
    protocol: 'forward-frames',
    tile: false,
  },
  'uws-publish-frames-noacks': {
    name: 'uws-publish-frames-noacks',
    script: 'client/bench/baselines/uws-publish-frames.ts',
    args: [],
    protocol: 'forward-frames',
    tile: false,
    loadArgs: ['--no-acks'],
  },
  'uws-publish': {
    name: 'uws-publish',
    script: 'client/bench/baselines/uws-publish.ts',
    args: [],
    protocol: 'forward',
    tile: false,
  },
  'ws-broadcast': {
    name: 'ws-broadcast',
    script: 'client/bench/baselines/ws-broadcast.ts',
    args: [],
    protocol: 'forward',
    tile: false,
  },
  'ws-broadcast-frames': {
    name: 'ws-broadcast-frames',
    script: 'client/bench/baselines/ws-broadcast.ts',
    args: [],
    protocol: 'forward-frames',
    tile: false,
  },
  'tilecast-uws-tiles': {
    name: 'tilecast-uws-tiles',
    script: 'server/main.ts',
    args: ['--engine', 'uws', '--batch-fanout', 'false', ...TILECAST_SERVER_ARGS],
    protocol: 'tilecast',
    tile: true,
  },
  'tilecast-ws-tiles': {
    name: 'tilecast-ws-tiles',
    script: 'server/main.ts',
    args: ['--engine', 'ws', '--batch-fanout', 'false', ...TILECAST_SERVER_ARGS],
    protocol: 'tilecast',
    tile: true,
  },
  'tilecast-uws-direct': {
    name: 'tilecast-uws-direct',
    script: 'server/main.ts',
    args: ['--engine', 'uws', '--uws-large-send', 'direct', ...TILECAST_SERVER_ARGS],
    protocol: 'tilecast',
    tile: true,
  },
  'tilecast-uws-fragment': {
    name: 'tilecast-uws-fragment',
    script: 'server/main.ts',
    args: ['--engine', 'uws', '--uws-large-send', 'fragment', ...TILECAST_SERVER_ARGS],
    protocol: 'tilecast',
    tile: true,
  },
  'tilecast-uws-noacks': {
    name: 'tilecast-uws-noacks',
    script: 'server/main.ts',
    args: ['--engine', 'uws', ...TILECAST_SERVER_ARGS],
    protocol: 'tilecast',
    tile: true,
    loadArgs: ['--no-acks'],
  },
  'tilecast-uws-guarded': {
    name: 'tilecast-uws-guarded',
    script: 'server/main.ts',
    args: ['--engine', 'uws', '--uws-large-send', 'guarded', ...TILECAST_SERVER_ARGS],
    protocol: 'tilecast',
    tile: true,
  },
  'tilecast-uws-subscribe': {
    name: 'tilecast-uws-subscribe',
    script: 'server/main.ts',
    args: ['--engine', 'uws', '--uws-large-send', 'subscribe', ...TILECAST_SERVER_ARGS],
    protocol: 'tilecast',
    tile: true,
  },
  socketio: {
    name: 'socketio',
    script: 'client/bench/baselines/socketio-broadcast.ts',
    args: [],
    protocol: 'socketio',
    tile: false,
  },
};

/** Ratios are taken against this server: the cost floor of a frame fan-out on this machine (a zero-logic relay). */
export const FLOOR: ServerName = 'uws-publish-frames';
/** The second reference: raw publish of one message per tile (tilecast's lagging viewers get tiles, not frames). */
export const TILE_FLOOR: ServerName = 'uws-publish';
/** CPU per delivered GB each tilecast engine is held to, as a multiple of FLOOR's, at points without stalled viewers. */
export const CPU_PER_GB_LIMITS: readonly (readonly [ServerName, number])[] = [
  ['tilecast-uws', 1.25],
  ['tilecast-ws', 1.6],
];
