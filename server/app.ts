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
  close(): Promise<void>;
}

export interface StartOptions extends ConfigInput {
  /** a ready logger (tests pass a silent one) */
  logger?: Logger;
}

export async function startServer(options: StartOptions = {}, env: NodeJS.ProcessEnv = {}, argv: string[] = []): Promise<TilecastServer> {
  const { logger, ...overrides } = options;
  const config = loadConfig({ buildClient: false, ...overrides }, env, argv);
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
    async close() {
      rooms.closeAll('server shutting down');
      await recordings.settled();
      await transport.close();
    },
  };
}
