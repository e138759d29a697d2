// Command-line flags of the load test, validated with zod; `--help` prints HELP.
import { parseArgs } from 'node:util';
import { z } from 'zod';

export const HELP = `tilecast-loadtest — simulated presenters and viewers against a tilecast (or baseline) server

Usage: npm run loadtest -- [flags]        (or: tilecast-loadtest [flags])

Target
  --url <http://host:port>   server to test (default: start a local tilecast server for the run)
  --engine uws|ws            engine of the local server (default uws)
  --protocol tilecast|forward|forward-frames|socketio
                             how to talk to the target (default tilecast; the others are the bench baselines:
                             forward relays tiles and syncs, forward-frames whole frames, socketio Socket.IO)
  --server-pid <pid>         with --url: read the server's CPU and RSS from /proc/<pid>
  --admin-token <token>      bearer token for POST /api/rooms, if the server wants one
  --allow-remote             allow a --url that is not loopback

Load
  --rooms <n>                rooms, one presenter each (default 1)
  --viewers <n>              viewers per room (default 20)
  --slow <fraction>          share of viewers that read slowly (default 0.1)
  --slow-mode stall|hold|cap stall: stop reading --stall-ms, read --read-ms, repeat; hold: stop reading for the whole
                             run, read again at the end; cap: read at --cap-kbps (default stall)
  --stall-ms <ms>            (default 2000)      --read-ms <ms>     (default 1000)
  --cap-kbps <KiB/s>         (default 256)
  --late <fraction>          share of viewers that join during the run (default 0.1)
  --no-acks                  viewers do not ack syncs (paced by socket backpressure only); by default each acks
                             every sync it reads, as the browser viewer acks every sync it paints
  --duration <seconds>       measured window (default 10)
  --warmup <seconds>         before the window (default 2)
  --drain <seconds>          max wait after the window for slow viewers to catch up (default 10)
  --drop-presenter <at,for>  drop each presenter at <at> s into the window, reconnect <for> s later
  --generator-workers <n>    worker threads the viewers are spread over (default: one per 150 viewers, at most
                             one per core; presenters stay on the main thread)

Content (rendered and encoded with sharp before the run, cached)
  --fps <n>                  presenter frame rate (default 15)
  --rate <tiles/s>           tiles per second per presenter; default: replay the desktop timeline one step per frame
  --screen <WxH>             (default 1280x720)   --tile-size <px> (default 96)
  --codec webp|jpeg|png      (default jpeg)        --quality <1-100> (default 90)

Output
  --json <file>              write the full result as JSON
  --svg <file>               latency percentile chart (default: next to --json)
  --label <text>             name of the run in the outputs
  --quiet                    no progress bar and no table
  --max-connections <n>      refuse runs above this many sockets (default 5000)
  -h, --help                 this text

Exit status: 0 done, 1 the run had errors, 2 bad flags or the target is unreachable.`;

const num = (min: number, max: number) => z.coerce.number().min(min).max(max);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const LoadTestOptions = z
  .object({
    url: z.string().url().optional(),
    engine: z.enum(['uws', 'ws']).default('uws'),
    protocol: z.enum(['tilecast', 'forward', 'forward-frames', 'socketio']).default('tilecast'),
    serverPid: int(1, 2 ** 31).optional(),
    adminToken: z.string().optional(),
    allowRemote: z.boolean().default(false),
    rooms: int(1, 1000).default(1),
    viewers: int(1, 10_000).default(20),
    slow: num(0, 1).default(0.1),
    slowMode: z.enum(['stall', 'hold', 'cap']).default('stall'),
    stallMs: int(10, 600_000).default(2000),
    readMs: int(10, 600_000).default(1000),
    capKbps: num(1, 10_000_000).default(256),
    late: num(0, 1).default(0.1),
    duration: num(1, 3600).default(10),
    warmup: num(0, 600).default(2),
    drain: num(0, 600).default(10),
    dropPresenter: z
      .string()
      .regex(/^\d+(\.\d+)?,\d+(\.\d+)?$/, 'expected <at>,<for> in seconds, e.g. 3,2')
      .transform((s) => s.split(',').map(Number) as [number, number])
      .optional(),
    generatorWorkers: int(1, 64).optional(),
    fps: num(0.1, 240).default(15),
    rate: num(0.1, 1_000_000).optional(),
    screen: z
      .string()
      .regex(/^\d+x\d+$/, 'expected WIDTHxHEIGHT, e.g. 1280x720')
      .default('1280x720')
      .transform((s) => s.split('x').map(Number) as [number, number]),
    tileSize: int(16, 1024).default(96),
    codec: z.enum(['webp', 'jpeg', 'png']).default('jpeg'),
    quality: int(1, 100).default(90),
    json: z.string().optional(),
    svg: z.string().optional(),
    label: z.string().optional(),
    quiet: z.boolean().default(false),
    noAcks: z.boolean().default(false),
    maxConnections: int(1, 100_000).default(5000),
  })
  .strict()
  .superRefine((o, ctx) => {
    const sockets = o.rooms * (o.viewers + 1);
    if (sockets > o.maxConnections)
      ctx.addIssue({
        code: 'custom',
        path: ['viewers'],
        message: `${sockets} sockets is over --max-connections ${o.maxConnections}`,
      });
    if (o.url) {
      const host = new URL(o.url).hostname;
      if (!o.allowRemote && !['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host))
        ctx.addIssue({
          code: 'custom',
          path: ['url'],
          message: `${host} is not loopback; pass --allow-remote to load a remote server`,
        });
    }
  });
export type LoadTestOptions = z.infer<typeof LoadTestOptions>;
export type LoadTestInput = z.input<typeof LoadTestOptions>;

export class UsageError extends Error {}

const STRING_FLAGS = [
  'url',
  'engine',
  'protocol',
  'server-pid',
  'admin-token',
  'rooms',
  'viewers',
  'slow',
  'slow-mode',
  'stall-ms',
  'read-ms',
  'cap-kbps',
  'late',
  'duration',
  'warmup',
  'drain',
  'drop-presenter',
  'generator-workers',
  'fps',
  'rate',
  'screen',
  'tile-size',
  'codec',
  'quality',
  'json',
  'svg',
  'label',
  'max-connections',
] as const;

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Parses argv; returns null when --help was asked for. Throws UsageError with one line on bad input. */
export function parseOptions(argv: string[]): LoadTestOptions | null {
  let values: Record<string, string | boolean | undefined>;
  try {
    const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
      help: { type: 'boolean', short: 'h' },
      quiet: { type: 'boolean' },
      'allow-remote': { type: 'boolean' },
      'no-acks': { type: 'boolean' },
    };
    for (const f of STRING_FLAGS) options[f] = { type: 'string' };
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as typeof values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) return null;
  const input: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) input[camel(k)] = v;
  const parsed = LoadTestOptions.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = issue.path.length
      ? `--${String(issue.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
      : 'flags';
    throw new UsageError(`${flag}: ${issue.message}`);
  }
  return parsed.data;
}
