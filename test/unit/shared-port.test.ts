/**
 * The shared port's demultiplexer (issue 14 item 1), with real sockets on loopback: a
 * Binding request reaches the endpoint whose ufrag its USERNAME names; a remote address
 * belongs to an endpoint only once the endpoint answered it with a success response;
 * STUN responses go by transaction; strangers reach nobody and are counted; naming
 * another peer's address as one's candidate does not take its packets; closing frees
 * the routes and, with the last transport, the socket.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import type { RTCPeerConnection } from 'werift';
import { SharedUdpPort } from '../../src/media/webrtc/sharedPort/SharedUdpPort.ts';
import type { VirtualUdpTransport } from '../../src/media/webrtc/sharedPort/VirtualUdpTransport.ts';
import { stunHeader, stunUsername } from '../../src/media/webrtc/sharedPort/stunHeader.ts';

/** A STUN message: Binding of `cls` (0 request, 2 success), with a USERNAME when given. */
function stun(cls: 0 | 2, username?: string, txid = randomBytes(12)): Buffer {
  const attr = username === undefined ? Buffer.alloc(0) : (() => {
    const v = Buffer.from(username);
    const a = Buffer.alloc(4 + v.length + ((4 - (v.length % 4)) % 4));
    a.writeUInt16BE(0x0006, 0);
    a.writeUInt16BE(v.length, 2);
    v.copy(a, 4);
    return a;
  })();
  const h = Buffer.alloc(20);
  h.writeUInt16BE(cls === 0 ? 0x0001 : 0x0101, 0);
  h.writeUInt16BE(attr.length, 2);
  h.writeUInt32BE(0x2112a442, 4);
  txid.copy(h, 8);
  return Buffer.concat([h, attr]);
}

/** A werift-shaped peer connection whose one ICE connection has `ufrag` and `transport`. */
const fakePc = (ufrag: string, transport: VirtualUdpTransport): RTCPeerConnection =>
  ({ iceTransports: [{ connection: { localUsername: ufrag, protocols: [{ transport }] } }] }) as unknown as RTCPeerConnection;

async function socket(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

test('STUN header parsing: class, method, transaction, USERNAME', () => {
  const txid = randomBytes(12);
  const m = stun(0, 'abcd:efgh', txid);
  assert.deepEqual(stunHeader(m), { cls: 'request', method: 1, transaction: txid.toString('hex') });
  assert.equal(stunUsername(m), 'abcd:efgh');
  assert.equal(stunHeader(stun(2))!.cls, 'success');
  assert.equal(stunHeader(Buffer.from([0x80, 0x60, 0, 0])), undefined, 'RTP is not STUN');
  assert.equal(stunHeader(Buffer.alloc(20)), undefined, 'no magic cookie');
});

test('demultiplexing by ufrag, learned address, transaction; strangers dropped; close frees', async () => {
  const probe = await socket();
  const port = (probe.address()).port;
  probe.close();
  const shared = new SharedUdpPort(port);
  const t1 = await shared.transport('udp4');
  const t2 = await shared.transport('udp4');
  assert.equal(t1.socket, t2.socket, 'one socket for both');
  assert.equal(t1.address.port, port);
  const got1: Buffer[] = [];
  const got2: Buffer[] = [];
  t1.onData = (d) => got1.push(d);
  t2.onData = (d) => got2.push(d);
  shared.addPeer(fakePc('ufragA', t1));
  shared.addPeer(fakePc('ufragB', t2));

  const peerA = await socket();
  const stranger = await socket();
  const to = (s: dgram.Socket, b: Buffer): Promise<void> => new Promise((r) => s.send(b, port, '127.0.0.1', () => r()));

  // A stranger: neither STUN for a known ufrag nor from a known address.
  await to(stranger, Buffer.from('hello'));
  await to(stranger, stun(0, 'nobody:x'));
  await settle();
  assert.equal(shared.dropped, 2);
  assert.equal(got1.length + got2.length, 0);

  // A's check names ufragA: it reaches t1 only; its data does not until t1 answered it.
  await to(peerA, stun(0, 'ufragA:remote'));
  await settle();
  assert.equal(got1.length, 1);
  await to(peerA, Buffer.from([0x80, 0x60, 1, 2, 3]));
  await settle();
  assert.equal(got1.length, 1, 'no data before a success response');
  await t1.send(stun(2), ['127.0.0.1', peerA.address().port]);
  await to(peerA, Buffer.from([0x80, 0x60, 1, 2, 3]));
  await settle();
  assert.equal(got1.length, 2, 'data from the address t1 answered');

  // t2 names A's address as its own peer's candidate: its check goes out, but A's
  // packets stay t1's; the answer to t2's check comes back to t2 by transaction.
  const txid = randomBytes(12);
  await t2.send(stun(0, 'remote:ufragB', txid), ['127.0.0.1', peerA.address().port]);
  await to(peerA, Buffer.from([0x80, 0x60, 9]));
  await to(peerA, stun(2, undefined, txid));
  await settle();
  assert.equal(got1.length, 3);
  assert.equal(got2.length, 1);
  assert.equal(stunHeader(got2[0]!)!.cls, 'success');

  // t1 closes: its routes go; A is a stranger again.
  await t1.close();
  await to(peerA, Buffer.from([0x80, 0x60, 9]));
  await settle();
  assert.equal(got1.length, 3);
  assert.equal(shared.routes.remotes, 0);
  await t2.close();
  // The last transport closed the socket: the port can be bound again.
  const again = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => { again.once('error', reject); again.bind(port, () => resolve()); });
  again.close();
  peerA.close();
  stranger.close();
  shared.close();
});
