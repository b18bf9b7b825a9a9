/** IceGuard's address comparison: a candidate's address as the peer wrote it against a datagram's source. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameHost } from '../../src/media/webrtc/IceGuard.ts';

test('sameHost: one address in its different spellings, and different addresses apart', () => {
  for (const [a, b] of [
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.1', '127.0.0.1'], // IPv4-mapped, as a dual-stack socket reports it
    ['2001:DB8::1', '2001:db8::1'], // upper case (RFC 4291 §2.2)
    ['2001:db8:0:0:0:0:0:1', '2001:db8::1'], // uncompressed
    ['2001:0db8::0001', '2001:db8::1'], // leading zeros
    ['0:0:0:0:0:0:0:1', '::1'],
    ['fe80::1%eth0', 'fe80::1%eth0'], // a zone id, compared as written
  ]) assert.ok(sameHost(a!, b!), `${a} = ${b}`);
  for (const [a, b] of [
    ['127.0.0.1', '127.0.0.2'],
    ['2001:db8::1', '2001:db8::2'],
    ['::1', '127.0.0.1'],
    ['::ffff:10.0.0.1', '10.0.0.2'],
  ]) assert.ok(!sameHost(a!, b!), `${a} != ${b}`);
});
