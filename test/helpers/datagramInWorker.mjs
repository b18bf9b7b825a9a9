// A worker thread that opens a socket with a DatagramIn, for test/unit/datagram-in.test.ts:
// it posts the port and whether the reader is native, and leaves the socket open (the test
// terminates it). With workerData.throwOn, its handler throws on the datagram whose first
// byte is that number. tsx's hooks on the main thread do not reach worker threads in
// Node 20, so it registers them itself (as src/media/worker/worker-boot.mjs does).
import dgram from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { DatagramIn } = await import('../../src/media/native/DatagramIn.ts');
const throwOn = workerData?.throwOn;
const s = dgram.createSocket('udp4');
s.bind(0, '127.0.0.1', () => {
  const input = new DatagramIn(s, (packet) => {
    if (packet[0] === throwOn) throw new Error(`handler failed on datagram ${throwOn}`);
  });
  parentPort.postMessage({ port: s.address().port, native: input.native });
});
