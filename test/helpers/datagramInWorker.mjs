// A worker thread that opens a socket with a DatagramIn and leaves it open, for the test
// that terminates it (test/unit/datagram-in.test.ts): it posts the port and whether the
// reader is native. tsx's hooks on the main thread do not reach worker threads in Node
// 20, so it registers them itself (as src/media/worker/worker-boot.mjs does).
import dgram from 'node:dgram';
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { DatagramIn } = await import('../../src/media/native/DatagramIn.ts');
const s = dgram.createSocket('udp4');
s.bind(0, '127.0.0.1', () => {
  const input = new DatagramIn(s, () => undefined);
  parentPort.postMessage({ port: s.address().port, native: input.native });
});
