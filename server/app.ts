// Wires one tilecast server: config -> logger -> room store -> socket handlers + HTTP routes -> engine.
import { type Config, type ConfigInput, loadConfig } from './config';
import { recordingRoutes } from './http/recordings-api';
import { allRoutes } from './http/routes';
import { onlyPublicHosts } from './http/public-hosts';
import { createRouter } from './http/router';
import { ImageJobs } from './imaging/image-jobs';
import { type Logger, createLogger } from './log';
import { RecordingStore, recordWhenPresented } from './recording';
import { LocalRoomStore } from './room/registry';
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
  /**
   * Shuts down as a server going away, not a room ending: new upgrades get 503, every socket is closed with 1001
   * (clients reconnect), recordings are finished, and after `drainMs` (default --shutdown-drain-seconds) what
   * has not finished its close handshake is cut.
   */
  close(drainMs?: number): Promise<void>;
}

export interface StartOptions extends ConfigInput {
  /** a ready logger (tests pass a silent one) */
  logger?: Logger;
}

export async function startServer(options: StartOptions = {}, env: NodeJS.ProcessEnv = {}, argv: string[] = []): Promise<TilecastServer> {
  const { logger, ...overrides } = options;
  // embedders and tests get no bundle build by default; a default given as a leading flag, so an explicit
  // --build-client in argv still wins (an override object would beat every flag)
  const config = loadConfig(overrides, env, ['--build-client', 'false', ...argv]);
  const log = logger ?? createLogger(config.logLevel);
  if (config.buildClient) {
    const { buildClient } = await import('../client/build');
    await buildClient();
  }
  const rooms = new LocalRoomStore(config, log);
  const tokens = new TokenSigner(config.secret);
  const recordings = new RecordingStore(config.recordingsDir, log);
  rooms.onCreate = (room) => {
    if (room.options.record)
      recordWhenPresented(recordings, room, { keyframeIntervalSeconds: config.keyframeIntervalSeconds, flushMs: config.recordingFlushMs });
  };
  const images = new ImageJobs(config.imageJobs, config.imageQueue);
  const transportOptions: TransportOptions<ConnContext> = {
    sockets: createSocketHandlers({ config, rooms, tokens, log }),
    http: onlyPublicHosts(config.publicHosts, createRouter(allRoutes({ config, rooms, tokens, engine: config.engine, images, extra: recordingRoutes({ store: recordings, tokens, adminToken: config.adminToken, images }) }), log)),
    wsPrefix: '/ws/',
    uwsLargeSend: config.uwsLargeSend,
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
      maxHttpBodyBytes: 64 * 1024,
      headersTimeoutMs: config.headersTimeoutSeconds * 1000,
      maxHeaderBytes: config.maxHeaderBytes,
    },
  };
  const transport: Transport =
    config.engine === 'uws' ? createUwsTransport(transportOptions) : createWsTransport(transportOptions);
  const port = await transport.listen(config.host, config.port);
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
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
    async close(drainMs = config.shutdownDrainSeconds * 1000) {
      transport.stopAccepting();
      rooms.closeAll('server shutting down', true);
      const deadline = Date.now() + drainMs;
      while (transport.connections() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await recordings.settled();
      await transport.close();
    },
  };
}
