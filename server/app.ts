// Wires one tilecast server: config -> logger -> room store -> socket handlers + HTTP routes -> engine.
import { ClusterNode } from './cluster/node';
import { clusterRoutes } from './cluster/routes';
import { clusterSockets } from './cluster/sockets';
import { type Config, type ConfigInput, loadConfig } from './config';
import { recordingRoutes } from './http/recordings-api';
import { allRoutes } from './http/routes';
import { snapshotRoutes } from './http/snapshot';
import { createRouter } from './http/router';
import { type Logger, createLogger } from './log';
import { RecordingStore, recordRoom } from './recording';
import { LocalRoomStore } from './room/registry';
import type { Room } from './room/room';
import { TokenSigner } from './room/tokens';
import { createSocketHandlers } from './sockets/handlers';
import type { ConnContext } from './sockets/context';
import type { Transport, TransportOptions } from './transport/types';
import { createUwsTransport } from './transport/uws';
import { createWsTransport } from './transport/ws';

export interface TilecastServer {
  port: number;
  url: string;
  config: Config;
  rooms: LocalRoomStore;
  tokens: TokenSigner;
  recordings: RecordingStore;
  log: Logger;
  /** set when the server is a node of a cluster (--redis) */
  cluster: ClusterNode | null;
  close(): Promise<void>;
}

export interface StartOptions extends ConfigInput {
  /** a ready logger (tests pass a silent one) */
  logger?: Logger;
}

export async function startServer(options: StartOptions = {}, env: NodeJS.ProcessEnv = {}, argv: string[] = []): Promise<TilecastServer> {
  const { logger, ...overrides } = options;
  const config = loadConfig({ buildClient: false, ...overrides }, env, argv);
  const baseLog = logger ?? createLogger(config.logLevel);
  const log = config.redis ? baseLog.child({ node: config.nodeId }) : baseLog;
  if (config.buildClient) {
    const { buildClient } = await import('../client/build');
    await buildClient();
  }
  const tokens = new TokenSigner(config.secret);
  const recordings = new RecordingStore(config.recordingsDir, log);
  const record = (room: Room) =>
    recordRoom(recordings, room, { keyframeIntervalSeconds: config.keyframeIntervalSeconds, flushMs: config.recordingFlushMs });
  // In a cluster, rooms are recorded on their origin (the node holding the presenter), when it becomes one.
  const cluster = config.redis ? await ClusterNode.start(config, log, record) : null;
  const rooms = cluster ? cluster.store : new LocalRoomStore(config, log);
  if (!cluster) rooms.onCreate = (room) => void (room.options.record && record(room));
  const single = createSocketHandlers({ config, rooms, tokens, log });
  const sockets = cluster ? clusterSockets(single, cluster, tokens, log) : null;
  const routes = allRoutes({
    config,
    rooms,
    tokens,
    engine: config.engine,
    extra: recordingRoutes({ store: recordings, tokens, adminToken: config.adminToken }),
    metrics: cluster ? [cluster.metrics.registry] : [],
  });
  const transportOptions: TransportOptions<ConnContext> = {
    sockets: sockets ?? single,
    http: createRouter(cluster ? [...clusterRoutes(cluster, snapshotRoutes(rooms, tokens)), ...routes] : routes, log),
    wsPrefix: '/ws/',
    limits: {
      // The engines' own limits sit above the app's, so the app closes oversized senders itself (1009 + reason).
      engineMaxPayload: config.maxMessageBytes * 2,
      maxBackpressure: config.viewerHighWaterBytes + config.maxMessageBytes * 2 + 64 * 1024,
      idleTimeoutSeconds: 120,
      maxHttpBodyBytes: 64 * 1024,
    },
  };
  const transport: Transport =
    config.engine === 'uws' ? createUwsTransport(transportOptions) : createWsTransport(transportOptions);
  const port = await transport.listen(config.host, config.port);
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  cluster?.begin(url, config.engine);
  log.info({ url, engine: config.engine }, 'listening');
  return {
    port,
    url,
    config,
    rooms,
    tokens,
    recordings,
    log,
    cluster,
    async close() {
      // A cluster node leaves without ending rooms: its clients get 1001 and reconnect to another node.
      await cluster?.leave();
      sockets?.closeAll('server shutting down');
      rooms.closeAll('server shutting down');
      await recordings.settled();
      await transport.close();
      await cluster?.close();
    },
  };
}
