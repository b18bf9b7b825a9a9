import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { fastPath } from '../../src/media/native/fastpath.ts';
import { DatagramIn } from '../../src/media/native/DatagramIn.ts';
import { until } from '../helpers/RemotePeers.ts';

const native = fastPath?.recvStart ? fastPath : undefined;
const skip = !native && 'addon not built';

async function bound(port = 0): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.bind(port, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Whether a new socket can take `port` (nothing holds it any more). */
async function portFree(port: number): Promise<boolean> {
  const s = dgram.createSocket('udp4');
  try {
    s.bind(port, '127.0.0.1');
    await once(s, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    s.close();
  }
}

test('DatagramIn reads through the addon: every datagram in order, a Buffer of its own, the sender\'s address and port; Node\'s reading stops', { skip }, async () => {
  const [tx, rx] = [await bound(), await bound()];
  rx.setRecvBufferSize(1 << 20);
  const got: Array<{ packet: Buffer; address: string; port: number }> = [];
  const nodeEvents: Buffer[] = [];
  rx.on('message', (m) => nodeEvents.push(m));
  const input = new DatagramIn(rx, (packet, address, port) => got.push({ packet, address, port }));
  assert.equal(input.native, true);
  // More than one batch (32 slots) at once, of varied sizes up to a jumbo frame.
  const sizes = Array.from({ length: 100 }, (_, i) => [12, 200, 1200, 9000][i % 4]!);
  sizes.forEach((n, i) => tx.send(Buffer.alloc(n, i), rx.address().port, '127.0.0.1'));
  await until(async () => got.length === 100, 3000, 'a hundred datagrams');
  assert.deepEqual(got.map((g) => g.packet.length), sizes);
  assert.ok(got.every((g, i) => g.packet.every((b) => b === i % 256)), 'each datagram kept its bytes after the next ones were read');
  assert.ok(got.every((g) => g.address === '127.0.0.1' && g.port === tx.address().port));
  assert.equal(nodeEvents.length, 0, 'Node\'s own reading was stopped');
  input.close();
  tx.close();
  rx.close();
});

test('DatagramIn drops a datagram larger than a slot and goes on; without the addon it reads Node\'s events', { skip }, async () => {
  const [tx, rx] = [await bound(), await bound()];
  const got: number[] = [];
  const input = new DatagramIn(rx, (packet) => got.push(packet.length));
  tx.send(Buffer.alloc(20000), rx.address().port, '127.0.0.1');
  tx.send(Buffer.alloc(30), rx.address().port, '127.0.0.1');
  await until(async () => got.length === 1, 3000, 'the datagram after the large one');
  assert.deepEqual(got, [30]);
  assert.equal(input.truncated, 1);
  input.close();
  rx.close();

  const rx2 = await bound();
  const viaNode: string[] = [];
  const plain = new DatagramIn(rx2, (packet, address) => viaNode.push(`${packet.toString()}@${address}`), null);
  assert.equal(plain.native, false);
  tx.send(Buffer.from('hello'), rx2.address().port, '127.0.0.1');
  await until(async () => viaNode.length === 1, 3000, 'a datagram through Node');
  assert.deepEqual(viaNode, ['hello@127.0.0.1']);
  plain.close();
  tx.send(Buffer.from('after close'), rx2.address().port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(viaNode.length, 1, 'nothing handed over after close');
  tx.close();
  rx2.close();
});

test('DatagramIn leaves nothing behind: closed before or after its socket, or in a worker that is terminated', { skip }, async () => {
  const before = openFds();
  const a = await bound();
  const port = a.address().port;
  const input = new DatagramIn(a, () => undefined);
  input.close();
  input.close();
  a.close();
  assert.ok(await portFree(port), 'the port is free at once after close, then socket close (as with Node\'s own reading)');
  // The socket closed first: its 'close' event closes the reader.
  const b = await bound();
  const portB = b.address().port;
  new DatagramIn(b, () => undefined);
  b.close();
  await until(async () => portFree(portB), 2000, 'the port free after the socket closed');
  await until(async () => openFds() <= before, 2000, `descriptors back to ${before}`);
  // A worker that ends with a reader open: the addon's cleanup hook closes it, and the
  // process goes on (libuv refuses to close a loop with a handle left open).
  const worker = new Worker(new URL('../helpers/datagramInWorker.mjs', import.meta.url));
  const [m] = (await once(worker, 'message')) as [{ port: number; native: boolean }];
  assert.equal(m.native, true);
  await worker.terminate();
  await until(async () => portFree(m.port), 3000, 'the worker\'s port free after it ended');
});

test('DatagramIn closed from its own handler mid-batch hands over nothing more; a throwing handler raises its error where a throwing listener\'s goes; recvStop takes only a reader', { skip }, async () => {
  const [tx, rx] = [await bound(), await bound()];
  rx.setRecvBufferSize(1 << 20);
  const got: number[] = [];
  const input: DatagramIn = new DatagramIn(rx, (packet) => {
    got.push(packet[0]!);
    if (packet[0] === 3) input.close();
  });
  // Queued before the reader wakes, so they come in one batch.
  for (let i = 0; i < 10; i++) tx.send(Buffer.of(i), rx.address().port, '127.0.0.1');
  await until(async () => got.length >= 4, 3000, 'the first datagrams');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(got, [0, 1, 2, 3]);
  rx.close();
  assert.throws(() => native!.recvStop!({} as never), /recvStop/);

  // In a worker, whose uncaught errors surface as its 'error' event.
  const worker = new Worker(new URL('../helpers/datagramInWorker.mjs', import.meta.url), { workerData: { throwOn: 2 } });
  const [m] = (await once(worker, 'message')) as [{ port: number }];
  const failed = once(worker, 'error');
  for (let i = 0; i < 5; i++) tx.send(Buffer.of(i), m.port, '127.0.0.1');
  const [error] = (await failed) as [Error];
  assert.match(error.message, /datagram 2/);
  tx.close();
  await worker.terminate();
});
