// Every HTTP route of the server, in one place.
import type { Registry } from 'prom-client';
import type { Config } from '../config';
import type { ImageJobs } from '../imaging/image-jobs';
import type { RoomStore } from '../room/registry';
import type { TokenSigner } from '../room/tokens';
import { healthRoutes } from './health';
import { roomRoutes } from './rooms-api';
import type { Route } from './router';
import { snapshotRoutes } from './snapshot';
import { staticRoutes } from './static';

export interface RouteDeps {
  config: Config;
  rooms: RoomStore;
  tokens: TokenSigner;
  engine: string;
  /** the image queue shared by snapshots and recording frames */
  images: ImageJobs;
  /** features that bring their own routes (recording) */
  extra?: Route[];
  /** more prom-client registries served on /metrics (the cluster's bus metrics) */
  metrics?: Registry[];
}

export function allRoutes({ config, rooms, tokens, engine, images, extra = [], metrics = [] }: RouteDeps): Route[] {
  return [
    ...healthRoutes(engine, rooms, metrics),
    ...roomRoutes(config, rooms, tokens),
    ...snapshotRoutes(rooms, tokens, config.adminToken, images),
    ...extra,
    ...staticRoutes,
  ];
}
