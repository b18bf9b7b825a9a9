/**
 * The pure parts of ICE restarts (src/shared/iceRestart.ts) and of WHIP's PATCH bodies
 * (src/whip/sdpFrag.ts): credentials checked as RFC 8839 §5.4 says, the remote offer
 * replayed with new credentials and no old candidates, fragments read and written as
 * RFC 8840 §9 and RFC 9725 §4.3 give them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { badIceCredentials, offerWithCredentials } from '../../src/shared/iceRestart.ts';
import { parseSdpFrag, restartFragOf } from '../../src/whip/sdpFrag.ts';

const offer = [
  'v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1', 'a=ice-ufrag:old1', 'a=ice-pwd:oldpasswordoldpassword1',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=mid:0', 'a=ice-ufrag:old1', 'a=ice-pwd:oldpasswordoldpassword1',
  'a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host', 'a=end-of-candidates', 'a=rtpmap:111 opus/48000/2',
  'm=video 9 UDP/TLS/RTP/SAVPF 96', 'c=IN IP4 0.0.0.0', 'a=mid:1', 'a=ice-ufrag:old1', 'a=ice-pwd:oldpasswordoldpassword1', 'a=rtpmap:96 VP8/90000', '',
].join('\r\n');

test('ICE credentials: 4-256 and 22-256 ice-chars', () => {
  assert.equal(badIceCredentials('abcd', 'a'.repeat(22)), undefined);
  assert.equal(badIceCredentials('a+/9', `${'b'.repeat(21)}/`), undefined);
  assert.match(badIceCredentials('abc', 'a'.repeat(22))!, /ice-ufrag/);
  assert.match(badIceCredentials('ab:c', 'a'.repeat(22))!, /ice-ufrag/);
  assert.match(badIceCredentials('abcd', 'a'.repeat(21))!, /ice-pwd/);
  assert.match(badIceCredentials('abcd', `${'a'.repeat(22)}\r\na=x`)!, /ice-pwd/);
  assert.match(badIceCredentials('a'.repeat(257), 'a'.repeat(22))!, /ice-ufrag/);
});

test('the offer replayed with new credentials everywhere and none of the old candidates', () => {
  const out = offerWithCredentials(offer, 'new1', 'newpasswordnewpassword');
  assert.equal(out.match(/^a=ice-ufrag:new1$/gm)?.length, 3);
  assert.equal(out.match(/^a=ice-pwd:newpasswordnewpassword$/gm)?.length, 3);
  assert.doesNotMatch(out, /old1|oldpassword|a=candidate|a=end-of-candidates/);
  assert.match(out, /^a=rtpmap:96 VP8\/90000$/m, 'everything else kept');
  assert.equal(out.split('\r\n').length, offer.split('\r\n').length - 2);
});

test('a restart fragment: credentials, BUNDLE, sections with their mids and candidates only', () => {
  const frag = restartFragOf(offer);
  assert.equal(frag, [
    'a=ice-ufrag:old1', 'a=ice-pwd:oldpasswordoldpassword1', 'a=group:BUNDLE 0 1',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=mid:0', 'a=candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host', 'a=end-of-candidates',
    'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=mid:1', '',
  ].join('\r\n'));
  // What the client reads back from it.
  const parsed = parseSdpFrag(frag);
  assert.equal(parsed.ufrag, 'old1');
  assert.equal(parsed.pwd, 'oldpasswordoldpassword1');
  assert.deepEqual(parsed.candidates, [{ candidate: 'candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host', sdpMLineIndex: 0, sdpMid: '0' }]);
  assert.equal(parsed.endOfCandidates, true);
});

test('malformed fragments are refused with the reason', () => {
  assert.throws(() => parseSdpFrag('hello'), /not an SDP line/);
  assert.throws(() => parseSdpFrag('a=candidate:1 1 udp'), /malformed candidate/);
  assert.deepEqual(parseSdpFrag('\r\n\r\n'), { candidates: [], endOfCandidates: false });
});
