// Wires one tilecast server: config -> logger -> room store -> socket handlers + HTTP routes -> engine.
import { ClusterNode } from './cluster/node';
import { clusterRoutes } from './cluster/routes';
import { clusterSockets } from './cluster/sockets';
import { type Config, type ConfigInput, loadConfig } from './config';
import { recordingRoutes } from './http/recordings-api';
import { allRoutes } from './http/routes';
import { onlyPublicHosts } from './http/public-hosts';
import { snapshotRoutes } from './http/snapshot';
import { createRouter } from './http/router';
import { warnIfNoClientBundle } from './http/static';
import { ImageJobs } from './imaging/image-jobs';
import { type Logger, createLogger } from './log';
import { RecordingStore, recordWhenPresented } from './recording';
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
  /** the image queue (snapshots, recording frames) */
  images: ImageJobs;
  log: Logger;
  /** set when the server is a node of a cluster (--redis) */
  cluster: ClusterNode | null;
  /**
   * Shuts down as a server going away, not a room ending: new upgrades get 503, every socket is closed with 1001
   * (clients reconnect, in a cluster to another node), recordings are finished, and after `drainMs` (default
   * --shutdown-drain-seconds) what has not finished its close handshake is cut.
   */
  close(drainMs?: number): Promise<void>;
}

export interface StartOptions extends ConfigInput {
  /** a ready logger (tests pass a silent one) */
  logger?: Logger;
}

export async function startServer(
  options: StartOptions = {},
  env: NodeJS.ProcessEnv = {},
  argv: string[] = [],
): Promise<TilecastServer> {
  const { logger, ...overrides } = options;
  const config = loadConfig(overrides, env, argv);
  const baseLog = logger ?? createLogger(config.logLevel);
  const log = config.redis ? baseLog.child({ node: config.nodeId }) : baseLog;
  warnIfNoClientBundle(log);
  const tokens = new TokenSigner(config.secret);
  const recordings = new RecordingStore(config.recordingsDir, log);
  const record = (room: Room) =>
    recordWhenPresented(recordings, room, {
      keyframeIntervalSeconds: config.keyframeIntervalSeconds,
      flushMs: config.recordingFlushMs,
    });
  // In a cluster, rooms are recorded on their origin (the node holding the presenter), when it becomes one.
  const cluster = config.redis ? await ClusterNode.start(config, log, record) : null;
  const rooms = cluster ? cluster.store : new LocalRoomStore(config, log);
  if (!cluster) rooms.onCreate = (room) => void (room.options.record && record(room));
  const images = new ImageJobs(config.imageJobs, config.imageQueue);
  const single = createSocketHandlers({ config, rooms, tokens, log });
  const sockets = cluster ? clusterSockets(single, cluster, tokens, log) : null;
  const routes = allRoutes({
    config,
    rooms,
    tokens,
    engine: config.engine,
    images,
    extra: recordingRoutes({ store: recordings, tokens, adminToken: config.adminToken, images }),
    metrics: cluster ? [cluster.metrics.registry] : [],
  });
  const router = createRouter(
    cluster ? [...clusterRoutes(cluster, snapshotRoutes(rooms, tokens, config.adminToken, images)), ...routes] : routes,
    log,
  );
  const transportOptions: TransportOptions<ConnContext> = {
    sockets: sockets ?? single,
    http: onlyPublicHosts(config.publicHosts, router),
    wsPrefix: '/ws/',
    uwsLargeSend: config.uwsLargeSend,
    uwsFramePartBytes: config.uwsFramePartBytes,
    viewerPrefix: '/ws/view/',
    limits: {
      // The engines' own limits sit above the app's, so the app closes oversized senders itself (1009 + reason).
      engineMaxPayload: config.maxMessageBytes * 2,
      // Viewers send only control messages: the engine refuses anything much bigger before buffering it. The
      // slack lets the app answer sizes just over its limit with 1009 + reason; above it ws sends 1009 and uWS
      // cuts the TCP connection (the client sees 1006).
      viewerMaxPayload: config.maxControlBytes * 4,
      maxBackpressure: config.viewerHighWaterBytes + config.maxMessageBytes * 2 + 64 * 1024,
      idleTimeoutSeconds: config.idleTimeoutSeconds,
      maxHttpBodyBytes: config.maxHttpBodyBytes,
      closeHandshakeMs: config.closeHandshakeSeconds * 1000,
      headersTimeoutMs: config.headersTimeoutSeconds * 1000,
      maxHeaderBytes: config.maxHeaderBytes,
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
    images,
    log,
    cluster,
    async close(drainMs = config.shutdownDrainSeconds * 1000) {
      transport.stopAccepting();
      // A cluster node leaves without ending rooms: its clients get 1001 and reconnect to another node.
      await cluster?.leave();
      sockets?.closeAll('server shutting down');
      rooms.closeAll('server shutting down', true);
      const deadline = Date.now() + drainMs;
      while (transport.connections() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await recordings.settled();
      await transport.close();
      await cluster?.close();
    },
  };
}
