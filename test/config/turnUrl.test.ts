/**
 * Kurento's `turnURL` (user:password@address:port[?transport=udp|tcp|tls]): what Fluo
 * takes, what it refuses and why, and what reaches werift.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIceServers } from 'werift';
import { parseTurnUrl, redactTurnUrl } from '../../src/shared/turnUrl.ts';
import { applyEnvironment } from '../../src/config/modulesConfig.ts';
import { iceServers } from '../../src/media/webrtc/webrtcConfig.ts';

const ok = (url: string) => {
  const r = parseTurnUrl(url);
  if (!r.ok) assert.fail(`'${url}' refused: ${r.reason}`);
  return r.server;
};

test('good URLs: transports, default ports, IPv6 in brackets, Kurento-style credentials', () => {
  assert.deepEqual(ok('u:p@127.0.0.1:3478'), {
    username: 'u', credential: 'p', host: '127.0.0.1', port: 3478, transport: 'udp',
    iceServer: { urls: 'turn:127.0.0.1:3478?transport=udp', username: 'u', credential: 'p' },
  });
  assert.equal(ok('u:p@198.51.100.1').port, 3478, 'no port: 3478 (RFC 7065)');
  assert.equal(ok('u:p@198.51.100.1:3479?transport=tcp').iceServer.urls, 'turn:198.51.100.1:3479?transport=tcp');
  assert.equal(ok('u:p@198.51.100.1:3478?transport=UDP').transport, 'udp');
  const tls = ok('u:p@198.51.100.1?transport=tls');
  assert.equal(tls.port, 5349, 'no port with TLS: 5349 (RFC 7065)');
  assert.equal(tls.iceServer.urls, 'turns:198.51.100.1:5349?transport=tcp');
  const v6 = ok('u:p@[2001:db8::1]:3478?transport=tcp');
  assert.equal(v6.host, '2001:db8::1');
  assert.equal(v6.iceServer.urls, 'turn:[2001:db8::1]:3478?transport=tcp');
  assert.equal(ok('u:p@[::1]').port, 3478);
  // As Kurento's parser: credentials end at the last '@', the password starts after the
  // last ':' before it (TURN REST API user names hold a colon).
  const rest = ok('1700000000:alice:s3cr@t@198.51.100.1:3478');
  assert.equal(rest.username, '1700000000:alice');
  assert.equal(rest.credential, 's3cr@t');
  assert.equal(ok('  u:p;w@127.0.0.1:3478 \n').credential, 'p;w', 'surrounding blanks are ignored');
});

test('bad URLs are refused with the reason', () => {
  const bad: Array<[string, RegExp]> = [
    ['', /no 'user:password@'/],
    ['turn.example.org', /no 'user:password@'/],
    ['turn:127.0.0.1:3478', /no 'user:password@'/],
    ['u@127.0.0.1:3478', /no ':' between user and password/],
    [':p@127.0.0.1:3478', /user name is empty/],
    ['u:@127.0.0.1:3478', /password is empty/],
    ['u:p@', /address is empty/],
    ['u:p@:3478', /'' is not an IP address/],
    ['u:p@turn.example.org:3478', /'turn.example.org' is not an IP address \(host names are not resolved/],
    ['u:p@127.0.0.1:0', /port '0'/],
    ['u:p@127.0.0.1:65536', /port '65536'/],
    ['u:p@127.0.0.1:', /port ''/],
    ['u:p@127.0.0.1:34x', /port '34x'/],
    ['u:p@127.0.0.1:3478/x', /port '3478\/x'/],
    ['u:p@2001:db8::1', /IPv6 address goes in brackets, e.g. \[2001:db8::1\]:3478/],
    ['u:p@2001:db8::1:3478', /IPv6 address goes in brackets/],
    ['u:p@[2001:db8::1', /no '\]'/],
    ['u:p@[2001:db8::1]3478', /unexpected '3478'/],
    ['u:p@[127.0.0.1]:3478', /'127.0.0.1' is not an IPv6 address/],
    ['u:p@127.0.0.1:3478?transport=sctp', /unknown parameter '\?transport=sctp'/],
    ['u:p@127.0.0.1:3478?transport=udp&x=1', /unknown parameter/],
    ['u:p@127.0.0.1:3478?', /unknown parameter/],
  ];
  for (const [url, why] of bad) {
    const r = parseTurnUrl(url);
    assert.equal(r.ok, false, `'${url}' accepted`);
    if (!r.ok) assert.match(r.reason, why, url);
  }
});

test('redactTurnUrl masks the password only', () => {
  assert.equal(redactTurnUrl('u:secret@127.0.0.1:3478'), 'u:***@127.0.0.1:3478');
  assert.equal(redactTurnUrl('1700000000:alice:s3cr@t@198.51.100.1'), '1700000000:alice:***@198.51.100.1');
  assert.equal(redactTurnUrl('turn.example.org'), 'turn.example.org');
});

test('config: KMS_TURN_URL / turnURL checked with the reason, password masked', () => {
  const check = (turnURL: string) => applyEnvironment({}, { KMS_TURN_URL: turnURL }, '/etc/fluo/modules');
  assert.equal(check('u:p@[::1]?transport=tcp').WebRtcEndpoint!.turnURL, 'u:p@[::1]?transport=tcp');
  assert.throws(() => check('u:secret@turn.example.org:3478'), (e: Error) => {
    assert.match(e.message, /^KMS_TURN_URL \(WebRtcEndpoint turnURL\) must be user:password@address:port\[\?transport=udp\|tcp\|tls\]: the address 'turn.example.org' is not an IP address/);
    assert.match(e.message, /got 'u:\*\*\*@turn.example.org:3478'/);
    assert.doesNotMatch(e.message, /secret/);
    return true;
  });
  assert.throws(() => applyEnvironment({ WebRtcEndpoint: { turnURL: 'u:p@1.2.3.4:3478?transport=dtls' } }, {}, '/m'),
    /WebRtcEndpoint\.conf\.ini \(\/m\): turnURL must be .*unknown parameter/);
});

test('werift gets one TURN server with the right transport, and never a default STUN server', () => {
  assert.deepEqual(iceServers({}), []);
  assert.deepEqual(iceServers({ stunServerAddress: '::1' }), [{ urls: 'stun:[::1]:3478' }]);
  const cases: Array<[string, unknown]> = [
    ['u:p@127.0.0.1:3478', { turnServer: ['127.0.0.1', 3478], turnTransport: 'udp', turnUsername: 'u', turnPassword: 'p' }],
    ['u:p@127.0.0.1?transport=tcp', { turnServer: ['127.0.0.1', 3478], turnTransport: 'tcp', turnUsername: 'u', turnPassword: 'p' }],
    ['u:p@127.0.0.1?transport=tls', { turnServer: ['127.0.0.1', 5349], turnTransport: 'tls', turnUsername: 'u', turnPassword: 'p' }],
    ['u:p@[::1]:3479', { turnServer: ['::1', 3479], turnTransport: 'udp', turnUsername: 'u', turnPassword: 'p' }],
  ];
  for (const [turnUrl, expected] of cases) {
    assert.deepEqual({ ...parseIceServers(iceServers({ stunServerAddress: '127.0.0.1', stunServerPort: 3480, turnUrl })) },
      { stunServer: ['127.0.0.1', 3480], ...(expected as object) }, turnUrl);
  }
  assert.throws(() => iceServers({ turnUrl: 'nonsense' }), /turnUrl: no 'user:password@'/);
});
