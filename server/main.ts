// `npm start`: reads flags and env, starts the server, shuts down cleanly on SIGINT/SIGTERM.
import { ConfigError } from './config';
import { startServer } from './app';

try {
  // `npm start` builds the browser bundle unless --build-client false says not to (the bench and load test do)
  const server = await startServer({}, process.env, ['--build-client', 'true', ...process.argv.slice(2)]);
  const shown = server.config.host === '127.0.0.1' ? `http://localhost:${server.port}` : server.url;
  console.error(`tilecast: serving ${shown} with the ${server.config.engine} engine; open it in a browser (Ctrl+C stops)`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return; // a second Ctrl+C while draining changes nothing: the drain timeout bounds it
    stopping = true;
    server.log.info({ signal, drainSeconds: server.config.shutdownDrainSeconds }, 'shutting down: clients told to reconnect (1001)');
    await server.close();
    server.log.info('shut down');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`tilecast: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
