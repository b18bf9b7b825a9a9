import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { fastPath, udpAddress, socketFd } from '../../src/media/native/fastpath.ts';
import { SelectedPairRoute } from '../../src/media/webrtc/SelectedPairRoute.ts';

/** Two bound sockets of a family on loopback, and what the second receives. */
async function sockets(type: 'udp4' | 'udp6'): Promise<{ tx: dgram.Socket; rx: dgram.Socket; got: Array<{ msg: Buffer; port: number }> }> {
  const host = type === 'udp4' ? '127.0.0.1' : '::1';
  const tx = dgram.createSocket(type);
  const rx = dgram.createSocket(type);
  const got: Array<{ msg: Buffer; port: number }> = [];
  rx.on('message', (msg, rinfo) => got.push({ msg, port: rinfo.port }));
  tx.bind(0, host);
  rx.bind(0, host);
  await Promise.all([once(tx, 'listening'), once(rx, 'listening')]);
  return { tx, rx, got };
}

test('udpAddress writes Linux sockaddr_in / sockaddr_in6, and refuses names and bad ports', () => {
  assert.deepEqual(udpAddress('192.0.2.7', 0x1234), Buffer.from([2, 0, 0x12, 0x34, 192, 0, 2, 7, 0, 0, 0, 0, 0, 0, 0, 0]));
  const v6 = udpAddress('2001:db8::1:2', 443)!;
  assert.equal(v6.length, 28);
  assert.deepEqual([...v6.subarray(0, 4)], [10, 0, 1, 187]);
  assert.deepEqual(v6.subarray(8, 24).toString('hex'), '20010db8000000000000000000010002');
  assert.equal(udpAddress('::ffff:192.0.2.7', 1)!.subarray(8, 24).toString('hex'), '00000000000000000000ffffc0000207');
  assert.equal(udpAddress('example.org', 1), undefined);
  assert.equal(udpAddress('127.0.0.1', 0), undefined);
  assert.equal(udpAddress('127.0.0.1', 70000), undefined);
});

test('socketFd reads a bound socket\'s descriptor, and nothing once it is closed', async () => {
  const s = dgram.createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  const fd = socketFd(s)!;
  assert.ok((fd() ?? -1) > 2);
  s.close();
  assert.equal(fd(), undefined);
  assert.equal(socketFd(s), undefined);
});

for (const type of ['udp4', 'udp6'] as const) {
  test(`native sendTo puts datagrams on a ${type} socket's fd, from that socket's port`, { skip: !fastPath && 'addon not built' }, async () => {
    const { tx, rx, got } = await sockets(type);
    try {
      const to = udpAddress(rx.address().address, rx.address().port)!;
      const fd = socketFd(tx)!()!;
      const packets = Array.from({ length: 50 }, (_, i) => Buffer.alloc(100 + i * 20, i));
      for (const p of packets) assert.equal(fastPath!.sendTo(fd, p, p.length - 7, to), 0);
      // libuv keeps using the same socket for its own sends alongside.
      tx.send(Buffer.from('libuv'), rx.address().port, rx.address().address);
      while (got.length < packets.length + 1) await once(rx, 'message');
      assert.deepEqual(got.slice(0, 50).map((g) => g.msg), packets.map((p) => p.subarray(0, p.length - 7)));
      assert.equal(got[50]!.msg.toString(), 'libuv');
      assert.ok(got.every((g) => g.port === tx.address().port));
    } finally {
      tx.close();
      rx.close();
    }
  });
}

test('native calls refuse bad arguments with an error or an errno, never a crash', { skip: !fastPath && 'addon not built' }, () => {
  const f = fastPath!;
  const to = udpAddress('127.0.0.1', 9)!;
  assert.throws(() => f.sendTo('x' as unknown as number, Buffer.alloc(1), 1, to), /sendTo/);
  assert.equal(f.sendTo(-1, Buffer.alloc(10), 10, to), -9); // EBADF
  assert.equal(f.sendTo(0, Buffer.alloc(10), 11, to), -22); // EINVAL: length past the buffer
  assert.equal(f.sendTo(0, Buffer.alloc(10), 10, Buffer.alloc(3)), -22);
  assert.throws(() => f.srtpContext(3, Buffer.alloc(16), Buffer.alloc(14), Buffer.alloc(20)), /unsupported/);
  assert.throws(() => f.srtpContext(1, Buffer.alloc(16), Buffer.alloc(12), Buffer.alloc(20)), /unsupported/);
  const ctx = f.srtpContext(1, Buffer.alloc(16), Buffer.alloc(14), Buffer.alloc(20));
  assert.throws(() => f.protect({} as typeof ctx, Buffer.alloc(40), 12, 10, 0), /protect/);
  assert.equal(f.protect(ctx, Buffer.alloc(30), 12, 10, 0), -1); // no room for the 10-byte tag
  assert.equal(f.protect(ctx, Buffer.alloc(40), 8, 10, 0), -1); // shorter than an RTP header
  assert.equal(f.protect(ctx, Buffer.alloc(40), 12, 18, 0), 40);
});

test('SelectedPairRoute sends on a plain UDP selected pair, and leaves TURN, closed sockets and old pairs to werift', { skip: !fastPath && 'addon not built' }, async () => {
  const { tx, rx, got } = await sockets('udp4');
  const transport = { type: 'udp', closed: false, socket: tx };
  const pair = { remoteAddr: ['127.0.0.1', rx.address().port] as const, protocol: { type: 'stun', transport } };
  const connection: { nominated?: typeof pair } = { nominated: pair };
  try {
    const route = SelectedPairRoute.of(connection);
    assert.ok(route.follows(connection));
    assert.equal(route.send(Buffer.from('srtp')), true);
    await once(rx, 'message');
    assert.equal(got[0]!.msg.toString(), 'srtp');
    // A TURN or ICE-TCP pair has no route: werift frames or relays those.
    assert.equal(SelectedPairRoute.of({ nominated: { ...pair, protocol: { type: 'turn', transport } } }).send(Buffer.from('x')), false);
    assert.equal(SelectedPairRoute.of({ nominated: { ...pair, protocol: { type: 'tcp', transport: { type: 'tcp' } } } }).send(Buffer.from('x')), false);
    assert.equal(SelectedPairRoute.of({}).send(Buffer.from('x')), false);
    assert.equal(SelectedPairRoute.of(connection, null).send(Buffer.from('x')), false, 'no addon, no route');
    // Consent expired (RFC 7675 §5.1): dropped, on no path at all.
    let consent = false;
    const withConsent = { nominated: pair, canSendApplicationData: () => consent };
    const guarded = SelectedPairRoute.of(withConsent);
    assert.equal(guarded.send(Buffer.from('no consent')), true, 'nothing left to do');
    consent = true;
    assert.equal(guarded.send(Buffer.from('consent')), true);
    await once(rx, 'message');
    assert.deepEqual(got.map((g) => g.msg.toString()), ['srtp', 'consent'], 'only what had consent arrived');
    // A new selected pair makes the route stale.
    connection.nominated = { ...pair };
    assert.equal(route.follows(connection), false);
    // A closed transport or socket is never written to, even through an old route.
    transport.closed = true;
    assert.equal(route.send(Buffer.from('x')), false);
    transport.closed = false;
    tx.close();
    assert.equal(route.send(Buffer.from('x')), false);
  } finally {
    rx.close();
  }
});
