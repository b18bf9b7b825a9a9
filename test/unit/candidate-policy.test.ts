import { test } from 'node:test';
import assert from 'node:assert/strict';
import type os from 'node:os';
import { CandidatePolicy } from '../../src/media/webrtc/CandidatePolicy.ts';

const IFACES = {
  eth0: [{ address: '10.0.0.5', family: 'IPv4' }, { address: 'fd00::5', family: 'IPv6' }],
  docker0: [{ address: '172.17.0.1', family: 'IPv4' }],
} as unknown as NodeJS.Dict<os.NetworkInterfaceInfo[]>;

test('networkInterfaces keeps host candidates of those interfaces, srflx by their base, relay always', () => {
  const p = new CandidatePolicy({ networkInterfaces: 'eth0' }, IFACES);
  assert.equal(p.announce('candidate:1 1 udp 2122260223 10.0.0.5 40000 typ host'), 'candidate:1 1 udp 2122260223 10.0.0.5 40000 typ host');
  assert.equal(p.announce('candidate:2 1 udp 2122260223 172.17.0.1 40002 typ host'), undefined);
  assert.ok(p.announce('candidate:3 1 udp 1686052607 203.0.113.9 40000 typ srflx raddr 10.0.0.5 rport 40000'));
  assert.equal(p.announce('candidate:4 1 udp 1686052607 203.0.113.9 40002 typ srflx raddr 172.17.0.1 rport 40002'), undefined);
  assert.ok(p.announce('candidate:5 1 udp 41885439 198.51.100.2 50000 typ relay raddr 203.0.113.9 rport 40000'));
  const sdp = ['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=candidate:1 1 udp 2122260223 10.0.0.5 40000 typ host', 'a=candidate:2 1 udp 2122260223 172.17.0.1 40002 typ host', ''].join('\r\n');
  assert.equal(p.announceSdp(sdp), ['m=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=candidate:1 1 udp 2122260223 10.0.0.5 40000 typ host', ''].join('\r\n'));
});

test('externalIPv4/IPv6 replace the address of host candidates of their family only', () => {
  const p = new CandidatePolicy({ externalIPv4: '198.51.100.7', externalIPv6: '2001:db8::7' }, IFACES);
  assert.equal(p.announce('candidate:1 1 udp 2122260223 10.0.0.5 40000 typ host generation 0'), 'candidate:1 1 udp 2122260223 198.51.100.7 40000 typ host generation 0');
  assert.equal(p.announce('candidate:1 1 tcp 1518280447 fd00::5 9 typ host tcptype passive'), 'candidate:1 1 tcp 1518280447 2001:db8::7 9 typ host tcptype passive');
  assert.equal(p.announce('candidate:5 1 udp 41885439 198.51.100.2 50000 typ relay raddr 10.0.0.5 rport 1'), 'candidate:5 1 udp 41885439 198.51.100.2 50000 typ relay raddr 10.0.0.5 rport 1');
  assert.ok(new CandidatePolicy({}, IFACES).passThrough);
});
