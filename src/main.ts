import { loadConfig, ConfigError } from './config/loadConfig.ts';
import { Logger } from './log/Logger.ts';
import { FluoServer } from './server/FluoServer.ts';

/**
 * `npm start -- [options]`: loads the Kurento-style configuration, starts the server,
 * and stops cleanly on SIGINT/SIGTERM (harnesses stop KMS with SIGINT).
 */
async function main(): Promise<void> {
  let loaded;
  try {
    loaded = loadConfig(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`fluo: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  if (loaded.kind !== 'run') {
    process.stdout.write(loaded.text.endsWith('\n') ? loaded.text : `${loaded.text}\n`);
    return;
  }
  const config = loaded.config;
  Logger.configure(config.logging);
  const log = Logger.get('KurentoMediaServer');
  const server = new FluoServer(config);
  try {
    await server.start();
  } catch (err) {
    log.error(`cannot start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received, stopping`);
    server.stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();
