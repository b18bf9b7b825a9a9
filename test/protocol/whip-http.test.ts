/**
 * WHIP/WHEP over HTTP as RFC 9725 and the WHEP draft say (issue 15 §2): CORS preflight
 * with Accept-Post and the ICE servers as Link headers; 201 with Location, ETag and an
 * SDP answer; 4xx for a wrong type (415), a body that is no offer (400), an oversized
 * one (413), a wrong method (405 with Allow), an unknown session (404); PATCH's
 * If-Match rules (412, 428), ICE restarts (200 with new credentials, a new ETag); Bearer tokens (401).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RTCPeerConnection } from 'werift';
import { startFluo } from '../helpers/fluo.ts';

const TOKEN = 'a-long-random-test-token';

async function werifOffer(): Promise<{ pc: RTCPeerConnection; sdp: string }> {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  return { pc, sdp: pc.localDescription!.sdp };
}

test('WHIP/WHEP HTTP: codes, headers, ICE servers, If-Match, tokens', async () => {
  const fluo = await startFluo((c) => ({
    ...c,
    whip: { allow: [], tokens: [TOKEN] },
    modules: { ...c.modules, WebRtcEndpoint: { ...c.modules.WebRtcEndpoint, stunServerAddress: '127.0.0.1', stunServerPort: '3478', turnURL: 'user:pa"ss@127.0.0.1:3479?transport=tcp' } },
  }));
  const base = fluo.url.replace(/^ws/, 'http').replace(/\/kurento$/, '');
  const auth = { authorization: `Bearer ${TOKEN}` };
  const { pc, sdp } = await werifOffer();
  try {
    const pre = await fetch(`${base}/whip/cam`, { method: 'OPTIONS' });
    assert.equal(pre.status, 204, 'a preflight needs no token');
    assert.equal(pre.headers.get('accept-post'), 'application/sdp');
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-expose-headers')!, /Location/);
    const links = pre.headers.get('link')!;
    assert.match(links, /<stun:127\.0\.0\.1:3478>; rel="ice-server"/);
    assert.match(links, /<turn:127\.0\.0\.1:3479\?transport=tcp>; rel="ice-server"; username="user"; credential="pa\\"ss"; credential-type="password"/);

    const post = (path: string, body: string, headers: Record<string, string> = {}) => fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/sdp', ...auth, ...headers }, body });
    const none = await fetch(`${base}/whip/cam`, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: sdp });
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate')!, /^Bearer/);
    assert.equal((await post('/whip/cam', sdp, { authorization: 'Bearer wrong-token-of-some-length' })).status, 401);
    assert.equal((await post('/whip/cam', sdp, { 'content-type': 'text/plain' })).status, 415);
    assert.equal((await post('/whip/cam', 'hello')).status, 400);
    const garbage = await post('/whip/cam', 'v=0\r\nm=video x\r\n');
    assert.equal(garbage.status, 400, await garbage.clone().text());
    assert.match(await garbage.text(), /not usable SDP/);
    assert.equal((await post('/whip/cam', `v=0\r\nm=${'x'.repeat(70_000)}`)).status, 413);
    assert.equal((await post('/whip/bad%20name', sdp)).status, 404);
    const get = await fetch(`${base}/whip/cam`, { headers: auth });
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'OPTIONS, POST');
    assert.equal(fluo.server.router.mediaSet.pipelines().length, 0, 'refused offers leave no pipeline');

    const ok = await post('/whip/cam', sdp);
    assert.equal(ok.status, 201, await ok.clone().text());
    const location = ok.headers.get('location')!;
    const etag = ok.headers.get('etag')!;
    assert.match(etag, /^"[^"]+"$/);
    assert.equal(ok.headers.get('accept-patch'), 'application/trickle-ice-sdpfrag');
    const answer = await ok.text();
    assert.match(answer, /^a=ice-ufrag:/m);
    const patch = (body: string, headers: Record<string, string> = {}) => fetch(base + location, { method: 'PATCH', headers: { 'content-type': 'application/trickle-ice-sdpfrag', ...auth, ...headers }, body });
    const cand = 'm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host\r\n';
    assert.equal((await patch(cand)).status, 204, 'trickle without If-Match');
    assert.equal((await patch(cand, { 'if-match': etag })).status, 204);
    assert.equal((await patch(cand, { 'if-match': '"other"' })).status, 412);
    assert.equal((await patch('a=ice-ufrag:new1\r\na=ice-pwd:newpasswordnewpassword\r\n')).status, 428, 'a restart needs If-Match');
    assert.equal((await patch('a=ice-ufrag:new1\r\n', { 'if-match': etag })).status, 400, 'a restart needs a password too');
    assert.equal((await patch('a=ice-ufrag:new1\r\na=ice-pwd:short\r\n', { 'if-match': etag })).status, 400, 'ice-pwd of 22 ice-chars at least');
    const restarted = await patch('a=ice-ufrag:new1\r\na=ice-pwd:newpasswordnewpassword\r\n', { 'if-match': etag });
    assert.equal(restarted.status, 200, 'an ICE restart');
    assert.equal(restarted.headers.get('content-type'), 'application/trickle-ice-sdpfrag');
    const frag = await restarted.text();
    const ufrag = /^a=ice-ufrag:(\S+)$/m.exec(frag)?.[1];
    assert.ok(ufrag && ufrag !== /^a=ice-ufrag:(\S+)$/m.exec(answer)?.[1], `new credentials: ${frag}`);
    assert.match(frag, /^a=ice-pwd:\S{22,}$/m);
    assert.match(frag, /^m=\S+ \d+ /m);
    assert.match(frag, /^a=candidate:/m);
    assert.equal(restarted.headers.get('etag'), `"${ufrag}"`);
    assert.equal((await patch(cand, { 'if-match': etag })).status, 412, 'the ETag changed with the restart');
    assert.equal((await patch(cand, { 'if-match': restarted.headers.get('etag')! })).status, 204);
    assert.equal((await patch('garbage line')).status, 400);
    assert.equal((await patch(cand, { 'content-type': 'application/sdp' })).status, 415);
    assert.equal((await fetch(`${base}/whip/cam/000000000000000000000000`, { method: 'DELETE', headers: auth })).status, 404);
    assert.equal((await fetch(base + location.replace('/whip/', '/whep/'), { method: 'DELETE', headers: auth })).status, 404, 'a WHIP session is not a WHEP one');
    const put = await fetch(base + location, { method: 'PUT', headers: auth, body: 'x' });
    assert.equal(put.status, 405);
    assert.equal((await fetch(base + location, { method: 'DELETE', headers: auth })).status, 200);
    assert.equal(fluo.server.router.mediaSet.pipelines().length, 0);
    assert.equal(fluo.server.whip.streams.sessionCount, 0);
  } finally {
    await pc.close();
    await fluo.stop();
  }
});
