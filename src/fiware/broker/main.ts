/**
 * The project's NGSI-v2 test broker as a process (`./services plate-detection-orion`
 * starts it): node --import tsx src/fiware/broker/main.ts [--port 1026] [--host 127.0.0.1].
 * For tests and demos only: point the bridge at a real Orion in production.
 */
import { NgsiBroker } from './NgsiBroker.ts';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] ? process.argv[i + 1]! : dflt;
};
const broker = new NgsiBroker();
const port = await broker.listen(Number(arg('port', '1026')), arg('host', '127.0.0.1'));
console.log(`NGSI-v2 test broker on http://${arg('host', '127.0.0.1')}:${port} (in memory; not Orion)`);
const stop = (): void => { void broker.close().then(() => process.exit(0)); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
