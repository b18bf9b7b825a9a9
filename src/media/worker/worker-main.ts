import { parentPort } from 'node:worker_threads';
import { MediaHost } from './MediaHost.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

/** Entry point of a media worker thread: one MediaHost behind the message interface. */
if (!parentPort) throw new Error('worker-main must run in a worker thread');
const port = parentPort;
const host = new MediaHost((m: FromWorker) => port.postMessage(m));
port.on('message', (m: ToWorker) => host.handle(m));
port.on('close', () => host.closeAll());
// A bug in one node's asynchronous callback must not take the worker's other pipelines down.
process.on('uncaughtException', (err) => {
  process.stderr.write(`media worker: uncaught ${err.stack ?? String(err)}\n`);
});
port.postMessage({ t: 'ready' } satisfies FromWorker);
