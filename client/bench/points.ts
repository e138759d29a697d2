// The workload matrix: viewer counts x delivery rates x stalled shares, rooms, and the memory stress.

export interface BenchPoint {
  name: string;
  rooms: number;
  viewersPerRoom: number;
  /** tile deliveries per second across all viewers, or a share of the measured raw-publish ceiling */
  deliveries: number | { ceilingShare: number };
  stalled: number;
  slowMode: 'stall' | 'hold';
  /** stall mode: ms without reading, then ms reading. Long enough that the backlog outgrows the kernel's socket
   * buffers (a few MB per connection on loopback), or the server never feels the stall. */
  stallMs: number;
  readMs: number;
  duration: number;
  drain: number;
  /** the memory stress: every stalled viewer is offered at least this many bytes/s */
  memory?: { bytesPerSecondPerStalled: number };
  /** tile size in px (default 96) */
  tileSize?: number;
  /** frames per second (default: from the rate, 5-30) */
  fps?: number;
  /** seconds of load before the window (default: the bench's --warmup) */
  warmup?: number;
}

/**
 * Seconds of each point's load before its window, by default. CPU per GB is a steady-state figure, and a fresh
 * tilecast process is not in its steady state for the first ~10 s at the light points: V8 compiles the hot path
 * only as it gets hot (at 50 viewers, ingestFrame after ~6 s, the ScreenShot's apply after ~8 s) and compiles parts
 * of it again after early deoptimizations. Server ticks per 4 s window, 40 s runs, 2 pairs each: 50 v@25k 36-38 in
 * the first window, 23-27 from the fifth on; 50 v@50k 54 then 32-45; 1000 v@25k 82-85 then 57-64. Frame publish
 * (C++) is flat from the first window. A 2 s warm-up put that start-up in the window.
 */
export const DEFAULT_WARMUP_S = 10;

export interface Profile {
  reps: number;
  points: BenchPoint[];
  /** servers run when --servers is not given (the quick profile skips the slowest baselines) */
  servers?: string[];
  quick: boolean;
  /** seconds of load before each window (default DEFAULT_WARMUP_S) */
  warmup?: number;
  /** idle viewers per server in the density section */
  densityViewers: number;
  churnSeconds: number;
}

export const point = (
  viewers: number,
  deliveries: BenchPoint['deliveries'],
  stalled: number,
  duration: number,
): BenchPoint => ({
  name:
    `${viewers}v@${typeof deliveries === 'number' ? `${deliveries / 1000}k` : `${Math.round(deliveries.ceilingShare * 100)}%ceil`}` +
    `/${Math.round(stalled * 100)}%stalled`,
  rooms: 1,
  viewersPerRoom: viewers,
  deliveries,
  stalled,
  slowMode: 'stall',
  stallMs: 4000,
  readMs: 1000,
  duration,
  drain: 10,
});

const rooms = (duration: number, stalled: number): BenchPoint => ({
  name: `50rooms x 20v@25k/${Math.round(stalled * 100)}%stalled`,
  rooms: 50,
  viewersPerRoom: 20,
  deliveries: 25_000,
  stalled,
  slowMode: 'stall',
  stallMs: 4000,
  readMs: 1000,
  duration,
  drain: 10,
});

/** The issue's memory load: 300 viewers, 20% held stalled, 30 fps of 64 px tiles (240 per 1280x720 screen). */
const memory = (duration: number, mbPerSecond: number): BenchPoint => ({
  name: `memory ${duration}s, 300v, 20% held`,
  rooms: 1,
  viewersPerRoom: 300,
  deliveries: 0,
  stalled: 0.2,
  slowMode: 'hold',
  stallMs: 0,
  readMs: 0,
  duration,
  drain: 60,
  memory: { bytesPerSecondPerStalled: mbPerSecond * 2 ** 20 },
  warmup: 2,
  tileSize: 64,
  fps: 30,
});

const CEIL80 = { ceilingShare: 0.8 };

export function fullProfile(reps = 3): Profile {
  const points: BenchPoint[] = [];
  for (const v of [50, 200, 1000])
    for (const d of [25_000, 50_000, CEIL80]) for (const s of [0, 0.1, 0.2]) points.push(point(v, d, s, 10));
  points.push(rooms(10, 0), rooms(10, 0.1), memory(60, 2.2));
  return { reps, points, quick: false, densityViewers: 10_000, churnSeconds: 30 };
}

export function quickProfile(): Profile {
  return {
    reps: 1,
    servers: ['tilecast-uws', 'tilecast-ws', 'uws-publish-frames', 'uws-publish'],
    quick: true,
    // its points are the busier ones, whose hot path V8 compiles sooner; 10 s would take it to ~9.5 minutes
    warmup: 6,
    densityViewers: 10_000,
    churnSeconds: 10,
    points: [
      point(200, CEIL80, 0, 5),
      point(200, CEIL80, 0.2, 5),
      point(1000, 25_000, 0, 5),
      rooms(5, 0),
      memory(20, 3),
    ],
  };
}
