/**
 * SdpEndpoint rules Kurento's module tests pin (conformance notes f): error codes and
 * their order, offer/answer between two WebRtcEndpoints (Fluo to Fluo), candidates in
 * the SDP after gathering, and a plain RTP/AVP offer still answered.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { startFluo, RpcClient, SINGLE_PORT } from '../helpers/fluo.ts';

let fluo: Awaited<ReturnType<typeof startFluo>>;
let c: RpcClient;
let sid: string;
let P: string;
before(async () => {
  fluo = await startFluo();
  c = await RpcClient.open(fluo.url);
  sid = (await c.ok('connect')).sessionId!;
  P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
});
after(async () => { await c.ok('release', { object: P, sessionId: sid }); await c.close(); await fluo.stop(); });

const webrtc = async (params: Record<string, unknown> = {}): Promise<string> =>
  (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P, ...params }, sessionId: sid })).value as string;
const call = (object: string, operation: string, operationParams?: unknown) =>
  c.request('invoke', { object, operation, operationParams, sessionId: sid });

test('SDP error codes and their order', async () => {
  const a = await webrtc();
  assert.equal((await call(a, 'getLocalSessionDescriptor')).error?.code, 40202);
  assert.equal((await call(a, 'getRemoteSessionDescriptor')).error?.code, 40203);
  assert.equal((await call(a, 'processOffer', { offer: '' })).error?.code, 40201);
  assert.equal((await call(a, 'processOffer', { offer: 'bad offer' })).error?.code, 40201);
  assert.equal((await call(a, 'processAnswer', { answer: '' })).error?.code, 40201);
  assert.equal((await call(a, 'processAnswer', { answer: 'v=0' })).error?.code, 40209);
  const offer = (await call(a, 'generateOffer')).result?.value as string;
  assert.match(offer, /^v=0/);
  assert.match(offer, /m=audio/);
  assert.match(offer, /m=video/);
  assert.equal((await call(a, 'generateOffer')).error?.code, 40208);
  assert.equal((await call(a, 'processAnswer', { answer: 'garbage' })).error?.code, 40201);
  // Another endpoint answers; then a second answer is refused.
  const b = await webrtc();
  const answer = (await call(b, 'processOffer', { offer })).result?.value as string;
  assert.match(answer, /^v=0/);
  assert.equal((await call(b, 'processOffer', { offer })).error?.code, 40208);
  assert.equal(((await call(a, 'processAnswer', { answer })).result?.value as string).slice(0, 3), 'v=0');
  assert.equal((await call(a, 'processAnswer', { answer })).error?.code, 40210);
  assert.equal((await call(a, 'getRemoteSessionDescriptor')).result?.value, answer);
  assert.equal((await call(b, 'getRemoteSessionDescriptor')).result?.value, offer);
});

test('two WebRtcEndpoints connect to each other (generateOffer/processOffer/processAnswer) with trickle ICE', async () => {
  const a = await webrtc();
  const b = await webrtc();
  for (const ep of [a, b]) {
    for (const type of ['IceCandidateFound', 'ConnectionStateChanged', 'IceGatheringDone']) await c.ok('subscribe', { object: ep, type, sessionId: sid });
  }
  // A 6.x client on the same session subscribes with the old names (twice: one delivery).
  await c.ok('subscribe', { object: a, type: 'OnIceCandidate', sessionId: sid });
  await c.ok('subscribe', { object: a, type: 'OnIceCandidate', sessionId: sid });
  await c.ok('subscribe', { object: a, type: 'OnIceGatheringDone', sessionId: sid });
  c.onEvent((e) => {
    const v = e.params?.value;
    if (v?.type !== 'IceCandidateFound') return;
    const target = v.object === a ? b : v.object === b ? a : undefined;
    if (target) void call(target, 'addIceCandidate', { candidate: v.data.candidate });
  });
  const offer = (await call(a, 'generateOffer', { options: { offerToReceiveAudio: true, offerToReceiveVideo: true } })).result?.value as string;
  const answer = (await call(b, 'processOffer', { offer })).result?.value as string;
  await call(a, 'processAnswer', { answer });
  await call(a, 'gatherCandidates');
  await call(b, 'gatherCandidates');
  for (const ep of [a, b]) {
    await c.waitEvent((e) => e.params?.value.object === ep && e.params.value.type === 'ConnectionStateChanged' && e.params.value.data.newState === 'CONNECTED', 10_000);
    assert.equal((await call(ep, 'getConnectionState')).result?.value, 'CONNECTED');
  }
  await c.waitEvent((e) => e.params?.value.object === a && e.params.value.type === 'OnIceGatheringDone', 10_000);
  const of = (type: string) => c.events.filter((e) => e.params?.value.object === a && e.params.value.type === type);
  assert.ok(of('OnIceCandidate').length > 0, '6.x OnIceCandidate delivered under its own name');
  assert.equal(of('OnIceCandidate').length, of('IceCandidateFound').length, 'one delivery per name, as many as the 7.x event');
  assert.equal(of('OnIceCandidate')[0]!.params!.value.data.type, 'OnIceCandidate');
  assert.equal(of('OnIceGatheringDone').length, 1);
});

test('gatherCandidates is idempotent; end-of-candidates ignored; malformed candidate -> 40401; queued before the SDP', async () => {
  const a = await webrtc();
  await c.ok('subscribe', { object: a, type: 'IceGatheringDone', sessionId: sid });
  const cand = (candidate: string) => ({ candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 } });
  assert.ok((await call(a, 'addIceCandidate', cand('candidate:1 1 udp 2122260223 127.0.0.1 40000 typ host'))).result, 'queued before SDP');
  assert.ok((await call(a, 'addIceCandidate', cand(''))).result, 'end-of-candidates');
  assert.equal((await call(a, 'addIceCandidate', cand('not a candidate'))).error?.code, 40401);
  assert.equal((await call(a, 'addIceCandidate', { candidate: { candidate: 'x' } })).error?.code, 40001);
  await call(a, 'generateOffer');
  await call(a, 'gatherCandidates');
  await call(a, 'gatherCandidates');
  await c.waitEvent((e) => e.params?.value.object === a && e.params.value.type === 'IceGatheringDone', 10_000);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(c.events.filter((e) => e.params?.value.object === a && e.params.value.type === 'IceGatheringDone').length, 1);
  assert.match((await call(a, 'getLocalSessionDescriptor')).result?.value as string, /a=candidate:/);
  // gatherCandidates before the SDP step: the offer carries what was gathered (KMD doc).
  const b = await webrtc();
  await call(b, 'gatherCandidates');
  assert.match((await call(b, 'generateOffer')).result?.value as string, /^a=candidate:/m);
});

test('iceTcp, externalIPv4 and networkInterfaces shape the announced candidates, in events and SDP alike', async () => {
  const gather = async (setup: (ep: string) => Promise<unknown>): Promise<{ events: string[]; sdp: string[] }> => {
    const a = await webrtc();
    await setup(a);
    for (const type of ['IceCandidateFound', 'IceGatheringDone']) await c.ok('subscribe', { object: a, type, sessionId: sid });
    const offer = (await call(a, 'generateOffer')).result?.value as string;
    // As in Kurento: no candidates in an SDP made before gatherCandidates...
    assert.doesNotMatch(offer, /^a=candidate:/m);
    await call(a, 'gatherCandidates');
    await c.waitEvent((e) => e.params?.value.object === a && e.params.value.type === 'IceGatheringDone', 10_000);
    const events = c.events.filter((e) => e.params?.value.object === a && e.params.value.type === 'IceCandidateFound')
      .map((e) => String((e.params!.value.data.candidate as Record<string, unknown>).candidate));
    // ...and all of them in the local descriptor once gathering is done.
    const local = (await call(a, 'getLocalSessionDescriptor')).result?.value as string;
    return { events, sdp: local.split(/\r?\n/).filter((l) => l.startsWith('a=candidate:')) };
  };
  // The machine's own addresses: in the suite's network namespace only lo's, on a host
  // network (--no-netns) its interfaces' too.
  const own = new Set(Object.values(os.networkInterfaces()).flat().map((a) => a?.address.replace(/%.*$/, '')));
  const ownAddress = (l: string): boolean => own.has(l.split(' ')[4] ?? '');
  // Kurento's default: ICE-TCP passive candidates besides UDP (RFC 6544); in single-port
  // mode they name the worker's shared port, over TCP (README, "Single-port mode").
  const plain = await gather(async () => undefined);
  assert.ok(plain.events.some((l) => / tcp .*tcptype passive/i.test(l)), `TCP candidates: ${plain.events.join(' | ')}`);
  if (SINGLE_PORT) {
    const port = plain.events.find((l) => / udp .* typ host/.test(l))?.split(' ')[5];
    assert.ok(plain.events.filter((l) => /tcptype passive/.test(l)).every((l) => l.split(' ')[5] === port), `passive TCP candidates on the worker's shared port ${port}: ${plain.events.join(' | ')}`);
  }
  assert.ok(plain.events.some((l) => / udp .* typ host/i.test(l) && ownAddress(l)), `a UDP host candidate on the machine's address: ${plain.events.join(' | ')}`);
  const noTcp = await gather((ep) => call(ep, 'setIceTcp', { iceTcp: false }));
  assert.ok(noTcp.events.length > 0 && !noTcp.events.some((l) => / tcp /i.test(l)), 'iceTcp off: UDP only');
  // externalIPv4/IPv6: every host candidate of that family carries the public address
  // (nothing is sent there); the other family's are left as they are.
  const v4host = (l: string): boolean => /typ host/.test(l) && / \d+\.\d+\.\d+\.\d+ \d+ typ/.test(l);
  const v6host = (l: string): boolean => /typ host/.test(l) && / [0-9a-f]*:[0-9a-f:]* \d+ typ/i.test(l);
  const ext = await gather((ep) => call(ep, 'setExternalIPv4', { externalIPv4: '198.51.100.7' }));
  for (const l of [...ext.events, ...ext.sdp].filter(v4host)) assert.match(l, / 198\.51\.100\.7 \d+ typ host/);
  assert.ok([...ext.events, ...ext.sdp].filter(v6host).every(ownAddress), 'IPv6 host candidates untouched');
  assert.ok(ext.events.length > 0 && ext.sdp.length > 0, 'candidates with externalIPv4');
  const ext6 = await gather((ep) => call(ep, 'setExternalIPv6', { externalIPv6: '2001:db8::7' }));
  assert.ok(ext6.events.some(v6host), `IPv6 host candidates: ${ext6.events.join(' | ')}`);
  for (const l of [...ext6.events, ...ext6.sdp].filter(v6host)) assert.match(l, / 2001:db8::7 \d+ typ host/);
  assert.ok([...ext6.events, ...ext6.sdp].filter(v4host).every(ownAddress), 'IPv4 host candidates untouched');
  // networkInterfaces: an interface that does not exist leaves no host candidate.
  const none = await gather((ep) => call(ep, 'setNetworkInterfaces', { networkInterfaces: 'nosuchif0' }));
  assert.deepEqual([...none.events, ...none.sdp].filter((l) => /typ host/.test(l)), []);
  const lo = await gather((ep) => call(ep, 'setNetworkInterfaces', { networkInterfaces: 'lo' }));
  assert.ok(lo.events.length > 0 && lo.events.every((l) => / (127\.0\.0\.1|::1) /.test(l)), `on lo only: ${lo.events.join(' | ')}`);
});

test('a plain RTP/AVP offer (Android SDP) still gets an answer; audio-only BUNDLE answered with opus', async () => {
  const a = await webrtc();
  const avp = ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    'm=video 5004 RTP/AVP 96 97 98', 'a=rtpmap:96 H264/90000', 'a=rtpmap:97 MP4V-ES/90000', 'a=rtpmap:98 H263-1998/90000', 'a=recvonly', ''].join('\r\n');
  const r = await call(a, 'processOffer', { offer: avp });
  const avpAnswer = r.result?.value as string;
  assert.match(avpAnswer, /^v=0/);
  assert.match(avpAnswer, /a=rtpmap:96 H264\/90000/);
  assert.match(avpAnswer, /a=sendonly/, 'a recvonly offer is answered sendonly');
  const b = await webrtc();
  const opus = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0',
    'a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuvwx', 'a=fingerprint:sha-256 ' + Array.from({ length: 32 }, () => 'AB').join(':'),
    'a=setup:actpass', 'a=mid:0', 'a=sendrecv', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2', ''].join('\r\n');
  const ans = (await call(b, 'processOffer', { offer: opus })).result?.value as string;
  assert.match(ans, /a=rtpmap:111 opus\/48000\/2/);
  // The answer keeps the offer's codec-name case (KMS check_codec_sdp).
  const c2 = await webrtc();
  const upper = (await call(c2, 'processOffer', { offer: opus.replace('opus/48000/2', 'OPUS/48000/2') })).result?.value as string;
  assert.match(upper, /a=rtpmap:111 OPUS\/48000\/2/, upper);
});

test('H.264 answered with the offered profile-level-id and packetization mode (RFC 6184 §8.2.2)', async () => {
  const offer = (formats: Array<[number, string]>): string => ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0',
    `m=video 9 UDP/TLS/RTP/SAVPF ${formats.map(([pt]) => pt).join(' ')}`, 'c=IN IP4 0.0.0.0',
    'a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuvwx', 'a=fingerprint:sha-256 ' + Array.from({ length: 32 }, () => 'AB').join(':'),
    'a=setup:actpass', 'a=mid:0', 'a=sendrecv', 'a=rtcp-mux',
    ...formats.flatMap(([pt, fmtp]) => [`a=rtpmap:${pt} H264/90000`, `a=fmtp:${pt} ${fmtp}`]), ''].join('\r\n');
  // High profile only: werift alone matched nothing but 42e01f and answered no codec.
  const high = (await call(await webrtc(), 'processOffer', { offer: offer([[112, 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=640c1f']]) })).result?.value as string;
  assert.match(high, /a=rtpmap:112 H264\/90000/);
  assert.match(high, /a=fmtp:112 .*profile-level-id=640c1f/);
  // Packetization mode 0 is kept, not turned into mode 1.
  const mode0 = (await call(await webrtc(), 'processOffer', { offer: offer([[100, 'packetization-mode=0;profile-level-id=42e01f']]) })).result?.value as string;
  assert.match(mode0, /a=fmtp:100 .*packetization-mode=0/);
  // 4:4:4 and packetization mode 2 are not taken: the other offered format is answered.
  const r = (await call(await webrtc(), 'processOffer', { offer: offer([[101, 'packetization-mode=1;profile-level-id=f4001f'], [103, 'packetization-mode=2;profile-level-id=42e01f'], [104, 'packetization-mode=1;profile-level-id=4d001f']]) })).result?.value as string;
  assert.doesNotMatch(r, /a=rtpmap:10[13] /);
  assert.match(r, /m=video \d+ \S+ 104\r\n/);
  assert.match(r, /a=fmtp:104 .*profile-level-id=4d001f/);
});

test('data channels: 40111 without useDataChannels, 40107 with both reliability limits', async () => {
  const a = await webrtc();
  assert.equal((await call(a, 'createDataChannel', { label: 'x' })).error?.code, 40111);
  const b = await webrtc({ useDataChannels: true });
  assert.equal((await call(b, 'createDataChannel', { label: 'x', maxPacketLifeTime: 100, maxRetransmits: 2 })).error?.code, 40107);
});

test('ICE properties read back what was set, with config defaults', async () => {
  const a = await webrtc();
  await call(a, 'setStunServerAddress', { stunServerAddress: '127.0.0.1' });
  await call(a, 'setStunServerPort', { stunServerPort: 3478 });
  await call(a, 'setTurnUrl', { turnUrl: 'user:pass@127.0.0.1:3478' });
  assert.equal((await call(a, 'getStunServerAddress')).result?.value, '127.0.0.1');
  assert.equal((await call(a, 'getStunServerPort')).result?.value, 3478);
  assert.equal((await call(a, 'getTurnUrl')).result?.value, 'user:pass@127.0.0.1:3478');
});
