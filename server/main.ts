// `npm start`: reads flags and env, starts the server (or, with --workers, the processes that run it), shuts
// down cleanly on SIGINT/SIGTERM.
import { ConfigError, loadConfig } from './config';
import { startServer } from './app';
import { isWorker, runPrimary } from './cluster/workers';
import { applyHeapGrowth } from './heap-growth';

const argv = process.argv.slice(2);
try {
  const config = loadConfig({}, process.env, argv);
  applyHeapGrowth(config.heapGrowthPercent);
  if (config.workers && !isWorker()) {
    await runPrimary(config, argv, (line) => console.error(`tilecast: ${line}`));
  } else {
    const server = await startServer({}, process.env, argv);
    const shown = server.config.host === '127.0.0.1' ? `http://localhost:${server.port}` : server.url;
    if (!isWorker())
      console.error(
        `tilecast: serving ${shown} with the ${server.config.engine} engine; open it in a browser (Ctrl+C stops)`,
      );
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return; // a second Ctrl+C while draining changes nothing: the drain timeout bounds it
      stopping = true;
      server.log.info(
        { signal, drainSeconds: server.config.shutdownDrainSeconds },
        'shutting down: clients told to reconnect (1001)',
      );
      await server.close();
      server.log.info('shut down');
      process.exit(0);
    };
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  }
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(`tilecast: ${err.message}`);
    process.exit(2);
  }
  throw err;
}
