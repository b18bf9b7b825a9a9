import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { fastPath, type FastPath } from '../../src/media/native/fastpath.ts';
import { DatagramOut } from '../../src/media/native/DatagramOut.ts';
import { until } from '../helpers/RemotePeers.ts';

async function bound(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  return s;
}

/** The real addon, with its sendto calls counted. */
function counted(native: FastPath): { native: FastPath; calls: () => number } {
  let n = 0;
  return {
    native: { ...native, sendTo: (fd, packet, length, sockaddr) => { n++; return native.sendTo(fd, packet, length, sockaddr); } },
    calls: () => n,
  };
}

test('DatagramOut sends through the addon\'s sendto from the socket\'s own port, and through Node without it', { skip: !fastPath && 'addon not built' }, async () => {
  const [tx, rx] = [await bound(), await bound()];
  const got: Array<{ msg: string; port: number }> = [];
  rx.on('message', (m, r) => got.push({ msg: m.toString(), port: r.port }));
  const c = counted(fastPath!);
  const out = new DatagramOut(tx, c.native);
  for (let i = 0; i < 5; i++) out.send(Buffer.from(`n${i}`), rx.address().port, '127.0.0.1');
  // A host name has no sockaddr for sendto: Node resolves and sends it.
  out.send(Buffer.from('by-name'), rx.address().port, 'localhost');
  new DatagramOut(tx, undefined).send(Buffer.from('node'), rx.address().port, '127.0.0.1');
  await until(async () => got.length === 7, 3000, 'seven datagrams');
  assert.equal(c.calls(), 5);
  assert.deepEqual(got.map((g) => g.msg).sort(), ['by-name', 'n0', 'n1', 'n2', 'n3', 'n4', 'node']);
  assert.ok(got.every((g) => g.port === tx.address().port));
  tx.close();
  rx.close();
});

test('DatagramOut follows a new destination and sends nothing, without throwing, once its socket is closed', { skip: !fastPath && 'addon not built' }, async () => {
  const [tx, a, b] = [await bound(), await bound(), await bound()];
  const seen = { a: 0, b: 0 };
  a.on('message', () => seen.a++);
  b.on('message', () => seen.b++);
  const c = counted(fastPath!);
  const out = new DatagramOut(tx, c.native);
  out.send(Buffer.from('1'), a.address().port, '127.0.0.1');
  out.send(Buffer.from('2'), b.address().port, '127.0.0.1');
  out.send(Buffer.from('3'), b.address().port, '127.0.0.1');
  await until(async () => seen.a === 1 && seen.b === 2, 3000, 'one to a, two to b');
  tx.close();
  out.send(Buffer.from('late'), a.address().port, '127.0.0.1');
  assert.equal(c.calls(), 3, 'a closed socket\'s descriptor is never written to');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(seen.a, 1);
  a.close();
  b.close();
});

test('DatagramOut leaves a destination sendto refuses to Node\'s path for a while, and goes native again for the next', { skip: !fastPath && 'addon not built' }, async () => {
  // An IPv6-only socket cannot reach an IPv4 address: sendto answers ENETUNREACH.
  const tx = dgram.createSocket({ type: 'udp6', ipv6Only: true });
  tx.bind(0, '::1');
  await once(tx, 'listening');
  tx.on('error', () => undefined);
  const c = counted(fastPath!);
  const out = new DatagramOut(tx, c.native);
  for (let i = 0; i < 3; i++) out.send(Buffer.from('v4'), 9, '127.0.0.1');
  assert.equal(c.calls(), 1, 'sendto tried once, then left alone');
  assert.equal(out.handedOver, 1);
  // ... for a thousand datagrams, then tried again (a route that failed may come back).
  for (let i = 0; i < 1000; i++) out.send(Buffer.from('v4'), 9, '127.0.0.1');
  assert.equal(c.calls(), 2);
  // A destination it can reach goes native again.
  const rx = dgram.createSocket('udp6');
  rx.bind(0, '::1');
  await once(rx, 'listening');
  let got = 0;
  rx.on('message', () => got++);
  out.send(Buffer.from('v6'), rx.address().port, '::1');
  await until(async () => got === 1, 3000, 'the IPv6 datagram');
  assert.equal(c.calls(), 3);
  tx.close();
  rx.close();
});
