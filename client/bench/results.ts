// What a bench invocation produces: one row per (point, server, repetition), plus the calibration and the machine.
import type { LoadTestReport } from '../loadtest/report';
import type { BenchPoint } from './points';
import type { ChurnRow } from './sections/churn';
import type { DensityRow } from './sections/density';
import type { ProfileResult } from './sections/profile';
import type { ServerName } from './servers';

export interface BenchRow {
  point: string;
  server: ServerName;
  rep: number;
  /** position of this server in the shuffled order of its repetition */
  order: number;
  report: LoadTestReport | null;
  error: string | null;
}

export interface BenchResults {
  profile: 'quick' | 'full' | 'custom';
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; cpuModel: string; memoryGB: number; kernel: string; node: string };
  /** raw uWS publish: tile deliveries/s it sustained, by viewer count, and whether the generator was the limit */
  ceilings: Record<string, { tilesPerSecond: number; generatorCores: number; generatorSaturated: boolean }>;
  points: (BenchPoint & { deliveriesPerSecond: number; ratePerRoom: number; fps: number })[];
  rows: BenchRow[];
  /** the sections after the points: idle density, churn, the server's CPU profile */
  sections: { density?: DensityRow[]; churn?: ChurnRow[]; profile?: ProfileResult };
}
