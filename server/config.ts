// Server configuration from CLI flags and environment, validated by zod; a bad value stops start-up with one line.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { availableParallelism, hostname } from 'node:os';
import { z } from 'zod';

const KiB = 1024;
const MiB = 1024 * KiB;

const boolish = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
  .transform((v) => v === true || v === 'true' || v === '1');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z
  .union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean));

/** Recording defaults, shared with the recorder (server/recording/recorder.ts) so they are written once. */
export const RECORDING_DEFAULTS = { keyframeIntervalSeconds: 10, flushMs: 1000 } as const;

/** `--trust-proxy` entries: an address, a CIDR or the word loopback. */
function isProxyEntry(entry: string): boolean {
  if (entry.toLowerCase() === 'loopback') return true;
  const [addr, bits, extra] = entry.split('/');
  const family = isIP(addr);
  if (!family || extra !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
}

export const ConfigSchema = z
  .object({
    port: int(0, 65535).default(8080),
    host: z.string().min(1).default('127.0.0.1'),
    engine: z.enum(['uws', 'ws']).default('uws'),
    /** HMAC secret for room tokens; generated at start when absent, refused when shorter than 32 bytes */
    secret: z.string().min(32, 'must be at least 32 bytes').optional(),
    /** when set, POST /api/rooms needs `Authorization: Bearer <adminToken>` */
    adminToken: z.string().min(16, 'must be at least 16 characters').optional(),
    /** extra allowed WebSocket Origins (same origin is always allowed); '*' allows any */
    allowedOrigins: list.default([]),
    graceSeconds: z.coerce.number().min(0).max(3600).default(30),
    /** the app's own message limit, enforced below the engines' (1009 + reason) */
    maxMessageBytes: int(1 * KiB, 64 * MiB).default(4 * MiB),
    maxTileBytes: int(1 * KiB, 16 * MiB).default(512 * KiB),
    maxTilesPerFrame: int(1, 65535).default(4096),
    maxScreenshotBytes: int(64 * KiB, 1024 * MiB).default(64 * MiB),
    /** tiles in one room's grid (columns x rows): bounds every viewer's grid (README: worst case per viewer) */
    maxTilesPerRoom: int(1, 1 << 20).default(8192),
    /** geometry changes a presenter may make per second (each resets every viewer); one more closes it with 4429 */
    maxGeometryChangesPerSecond: int(1, 1000).default(30),
    /** images (snapshots, recording frames) rendered at once, server-wide; each holds one canvas */
    imageJobs: int(1, 64).default(2),
    /** images waiting for a render slot; past that a request gets 503 IMAGE_BUSY */
    imageQueue: int(0, 1000).default(16),
    /**
     * per-viewer send high-water mark: the sender stops queueing into the socket above it. Throughput comes from the
     * kernel's send buffer (autotuned to megabytes); this is only user-space staging, and on uWS every held viewer
     * keeps a buffer of about this size for good: 128 KiB against 256 KiB measured RSS growth at the memory stress
     * +37/+43 MB against +49/+50 (60 held viewers), with the same fast-viewer p99 and every held viewer converging.
     */
    viewerHighWaterBytes: int(16 * KiB, 64 * MiB).default(128 * KiB),
    /** syncs a viewer that acks may leave unacknowledged before the server holds its frames back (and coalesces) */
    viewerAckWindow: int(1, 1000).default(3),
    maxViewersPerRoom: int(1, 100_000).default(5000),
    maxRooms: int(1, 100_000).default(1000),
    /** (viewer x tile) updates one fan-out step may do before yielding to the event loop */
    fanoutBudget: int(1, 10_000_000).default(20_000),
    /** send caught-up viewers each frame as one shared Frame message instead of one message per tile */
    batchFanout: boolish.default(true),
    /** uWS engine: how messages of 16 KiB or more avoid the engine's direct-write bug (see transport/uws.ts) */
    uwsLargeSend: z.enum(['settled', 'fragment', 'subscribe', 'guarded', 'direct']).default('settled'),
    /** uWS engine: largest Frame message a live frame is cut into; uWS keeps a per-socket copy of this size */
    uwsFramePartBytes: int(16 * KiB, 64 * MiB).default(64 * KiB),
    idleRoomSeconds: z.coerce.number().min(1).default(600),
    /** rooms no presenter ever joined (and nobody watches) end after this: a creation flood does not linger */
    unpresentedRoomSeconds: z.coerce.number().min(1).default(60),
    /** POST /api/rooms token bucket per client address: burst size, and refill per minute (0 = no limit) */
    roomCreateBurst: int(1, 100_000).default(20),
    roomCreatePerMinute: z.coerce.number().min(0).max(1_000_000).default(30),
    /** reverse proxies (addresses or CIDRs) whose X-Forwarded-For is believed; empty = the socket address counts */
    trustProxy: z
      .union([z.boolean(), list])
      .transform((v) => (v === true ? ['loopback'] : v === false ? [] : v))
      .refine((v) => v.every(isProxyEntry), 'each entry must be an IP address, a CIDR (10.0.0.0/8) or "loopback"')
      .default([]),
    /** public host names (host or host:port) this server answers to; other Host headers get 421 (DNS rebinding) */
    publicHosts: list.default([]),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    recordingsDir: z.string().min(1).default('./recordings'),
    recordByDefault: boolish.default(false),
    keyframeIntervalSeconds: z.coerce.number().min(0.1).max(3600).default(RECORDING_DEFAULTS.keyframeIntervalSeconds),
    recordingFlushMs: int(10, 60_000).default(RECORDING_DEFAULTS.flushMs),
    /** largest text (JSON control) message, checked before parsing; also the engine-level limit on viewer sockets */
    maxControlBytes: int(256, 64 * KiB).default(4 * KiB),
    /** control messages (text, any role) each connection may send per second on average (token bucket) */
    controlRatePerSecond: int(1, 100_000).default(100),
    /** burst allowance of that bucket: more at once closes the connection with 4429 */
    controlBurst: int(1, 100_000).default(200),
    /** a WebSocket silent this long (no message, no pong) is dropped; pings go out on both engines. uWS needs >= 8 */
    idleTimeoutSeconds: int(8, 3600).default(120),
    /** time a client may take to send its request headers (ws engine; uWS has a fixed 10 s) */
    headersTimeoutSeconds: int(1, 10).default(10),
    /** largest request head (request line + headers) on both engines: 431 above it */
    maxHeaderBytes: int(1 * KiB, 64 * KiB).default(16 * KiB),
    /** on SIGTERM/SIGINT: how long clients get to finish the close handshake (1001) before sockets are cut */
    shutdownDrainSeconds: z.coerce.number().min(0).max(600).default(10),
    /** largest HTTP request body (the API takes small JSON bodies only): 413 above it */
    maxHttpBodyBytes: int(1 * KiB, 16 * MiB).default(64 * KiB),
    /** a peer that never answers a close frame is cut after this (ws engine; uWS has its own) */
    closeHandshakeSeconds: z.coerce.number().min(0.1).max(600).default(5),
    /** join a cluster over this Redis (redis://host:port, rediss://..., or unix:/path/to/socket); absent: one process, no Redis */
    redis: z.string().min(1).optional(),
    /** this node's name in the cluster directory and logs; default host-pid-random */
    nodeId: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)')
      .optional(),
    /** run N processes on one port sharing rooms over Redis; `--workers` alone means one per core */
    workers: z.union([z.literal(true), z.literal('true'), int(1, 256)]).optional(),
    /** V8 heap growth between full GCs, percent of the live heap (0 = V8's own heuristic): CPU against RSS */
    heapGrowthPercent: int(0, 1000).default(100),
    /** bus messages over this size are split into chunks (hard cap 4 MiB) */
    busMaxMessageBytes: int(64 * KiB, 4 * MiB).default(1 * MiB),
  })
  .strict();

export type Config = Omit<z.infer<typeof ConfigSchema>, 'workers'> & {
  secret: string;
  nodeId: string;
  workers: number | null;
};
export type ConfigInput = z.input<typeof ConfigSchema>;

/** The environment variable of a setting: TILECAST_ + its flag in capitals (`--grace-seconds` -> TILECAST_GRACE_SECONDS). */
export const envName = (setting: string) => `TILECAST_${setting.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/** Every setting is reachable by flag and env alike; PORT and HOST are also read bare, as hosting platforms set them. */
const ENV: Record<string, keyof ConfigInput> = {
  PORT: 'port',
  HOST: 'host',
  ...Object.fromEntries(Object.keys(ConfigSchema.shape).map((k) => [envName(k), k as keyof ConfigInput])),
  /** shorter than TILECAST_RECORD_BY_DEFAULT, kept for existing deployments */
  TILECAST_RECORD: 'recordByDefault',
  /** the name Redis clients conventionally read */
  TILECAST_REDIS_URL: 'redis',
};

export class ConfigError extends Error {}

const kebabToCamel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** `--port 9000`, `--port=9000`, `--record-by-default` (boolean). Unknown flags are errors. */
export function parseArgs(argv: readonly string[]): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--'))
      throw new ConfigError(`unexpected argument ${JSON.stringify(arg)} (flags look like --port 8080)`);
    const eq = arg.indexOf('=');
    const name = kebabToCamel(arg.slice(2, eq < 0 ? undefined : eq));
    if (eq >= 0) out[name] = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1].startsWith('--')) out[name] = argv[++i];
    else out[name] = true;
  }
  return out;
}

/** Merges defaults < env < flags < overrides and validates. Throws ConfigError with one line naming the setting. */
export function loadConfig(
  overrides: ConfigInput = {},
  env: NodeJS.ProcessEnv = {},
  argv: readonly string[] = [],
): Config {
  const fromEnv: Record<string, string> = {};
  for (const [key, name] of Object.entries(ENV))
    if (env[key] !== undefined && env[key] !== '') fromEnv[name] = env[key]!;
  const merged = { ...fromEnv, ...parseArgs(argv), ...overrides };
  const parsed = ConfigSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const setting = issue.path.join('.') || '(flags)';
    const got = issue.path.length ? (merged as Record<string, unknown>)[String(issue.path[0])] : undefined;
    const shown = setting === 'secret' ? '' : got === undefined ? '' : ` (got ${JSON.stringify(got)})`;
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown setting(s): ${issue.keys.join(', ')}`
        : `${setting}: ${issue.message}${shown}`;
    throw new ConfigError(`invalid configuration: ${message}`);
  }
  const data = parsed.data;
  // A random per-process secret would make tokens node-local: a cluster needs the same configured one everywhere.
  if (data.redis && !data.secret)
    throw new ConfigError(
      'invalid configuration: secret: a cluster (--redis) needs --secret / TILECAST_SECRET of at least 32 bytes, the same on every node',
    );
  const workers =
    data.workers === undefined
      ? null
      : data.workers === true || data.workers === 'true'
        ? availableParallelism()
        : data.workers;
  return {
    ...data,
    workers,
    nodeId:
      data.nodeId ??
      `${hostname()
        .replace(/[^A-Za-z0-9_.-]/g, '-')
        .slice(0, 40)}-${process.pid}-${randomBytes(2).toString('hex')}`,
    secret: data.secret ?? randomBytes(32).toString('base64url'),
  };
}
