/**
 * A real WebRTC peer (libwebrtc via @roamhq/wrtc) sends its picture to a Fluo
 * WebRtcEndpoint connected to itself (Kurento's hello-world loopback) and gets it back:
 * the picture returns and changes, and Kurento's events fire in order.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFluo, RpcClient, activeResources, assertWorkersIdle } from '../helpers/fluo.ts';
import { RemotePeers, until } from '../helpers/RemotePeers.ts';

const peers = new RemotePeers();
after(() => peers.stop());

test('loopback: the picture comes back and changes; events and states as in Kurento', async () => {
  const fluo = await startFluo();
  const c = await RpcClient.open(fluo.url);
  const sid = (await c.ok('connect')).sessionId!;
  const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
  const ep = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P }, sessionId: sid })).value as string;
  for (const type of ['IceGatheringDone', 'ConnectionStateChanged', 'MediaFlowInStateChanged', 'MediaFlowOutStateChanged', 'MediaStateChanged', 'NewCandidatePairSelected', 'IceComponentStateChanged', 'DtlsConnectionStateChange']) {
    await c.ok('subscribe', { object: ep, type, sessionId: sid });
  }
  await c.ok('invoke', { object: ep, operation: 'connect', operationParams: { sink: ep }, sessionId: sid });
  assert.equal((await c.ok('invoke', { object: ep, operation: 'getConnectionState', sessionId: sid })).value, 'DISCONNECTED');
  const peer = await peers.create();
  const t0 = Date.now();
  const answer = await peer.connectTo(c, ep, sid);
  assert.match(answer, /a=sendrecv/);
  assert.doesNotMatch(answer, /transport-cc/);
  assert.match(answer, /goog-remb/);
  // RTX answered (RFC 4588), with Fluo's retransmission SSRC in an ssrc-group FID.
  assert.match(answer, /a=rtpmap:\d+ rtx\/90000/);
  assert.match(answer, /a=ssrc-group:FID \d+ \d+/);
  await until(async () => (await peer.received()).frames >= 30, 15_000, '30 frames back');
  const firstFrames = Date.now() - t0;
  const got = await peer.received();
  assert.ok(got.checksums > 10, `picture changes (${got.checksums} distinct frames)`);
  assert.equal(got.width, 320);
  const types = c.events.filter((e) => e.params?.value.object === ep).map((e) => e.params!.value.type);
  const found = types.indexOf('IceCandidateFound');
  assert.ok(found >= 0 && types.indexOf('IceGatheringDone') > found, 'candidates before IceGatheringDone');
  assert.equal(types.filter((t) => t === 'IceGatheringDone').length, 1);
  for (const t of ['ConnectionStateChanged', 'MediaFlowInStateChanged', 'MediaFlowOutStateChanged', 'MediaStateChanged', 'NewCandidatePairSelected', 'IceComponentStateChanged', 'DtlsConnectionStateChange']) {
    assert.ok(types.includes(t), `${t} raised`);
  }
  // ICE states in Kurento's order: CONNECTED right after NewCandidatePairSelected, which
  // is raised once for the pair.
  const ice = c.events.filter((e) => e.params?.value.object === ep && (e.params.value.type === 'NewCandidatePairSelected' || e.params.value.type === 'IceComponentStateChanged'))
    .map((e) => (e.params!.value.type === 'NewCandidatePairSelected' ? 'PAIR' : String(e.params!.value.data.state)));
  const connected = ice.indexOf('CONNECTED');
  assert.ok(connected > 0 && ice[connected - 1] === 'PAIR', `ICE events: ${ice.join(' ')}`);
  assert.equal(ice.filter((x) => x === 'PAIR').length, 1, `one NewCandidatePairSelected: ${ice.join(' ')}`);
  assert.equal((await c.ok('invoke', { object: ep, operation: 'getConnectionState', sessionId: sid })).value, 'CONNECTED');
  assert.equal((await c.ok('invoke', { object: ep, operation: 'getMediaState', sessionId: sid })).value, 'CONNECTED');
  assert.equal((await c.ok('invoke', { object: ep, operation: 'isMediaFlowingIn', operationParams: { mediaType: 'VIDEO' }, sessionId: sid })).value, true);
  assert.equal((await c.ok('invoke', { object: ep, operation: 'isMediaFlowingOut', operationParams: { mediaType: 'AUDIO' }, sessionId: sid })).value, true);
  const stats = (await c.ok('invoke', { object: ep, operation: 'getStats', operationParams: { mediaType: 'VIDEO' }, sessionId: sid })).value as Record<string, Record<string, unknown>>;
  const inbound = Object.values(stats).find((s) => s.type === 'inboundrtp');
  assert.ok(inbound && Number(inbound.packetsReceived) > 0, 'inbound packets in getStats');
  assert.equal(inbound.__type__, 'RTCInboundRTPStreamStats');
  // The nominated pair names its two candidates, both in the stats (KMD RTCIceCandidateAttributes).
  const pair = Object.values(stats).find((s) => s.type === 'candidatepair' && s.nominated === true)!;
  assert.ok(pair, 'a nominated candidate pair');
  const local = stats[String(pair.localCandidateId)]!;
  const remote = stats[String(pair.remoteCandidateId)]!;
  assert.equal(local?.type, 'localcandidate');
  assert.equal(remote?.type, 'remotecandidate');
  assert.equal(local.__type__, 'RTCIceCandidateAttributes');
  assert.ok(['127.0.0.1', '::1'].includes(String(local.ipAddress)), `loopback, either family: ${String(local.ipAddress)}`);
  assert.equal(local.transport, 'udp');
  assert.ok(['host', 'serverreflexive', 'peerreflexive', 'relayed'].includes(String(remote.candidateType)));
  assert.ok(Number(local.portNumber) > 0 && Number(local.priority) > 0);
  // The peer's REMB about Fluo's video reaches the stats; the send bounds read back KMD defaults.
  await until(async () => {
    const st = (await c.ok('invoke', { object: ep, operation: 'getStats', operationParams: { mediaType: 'VIDEO' }, sessionId: sid })).value as Record<string, Record<string, unknown>>;
    const out = Object.values(st).find((s) => s.type === 'outboundrtp');
    return Number(out?.remb) > 0 && Number(out?.packetsSent) > 0;
  }, 5_000, 'outbound stats with the peer REMB');
  // targetBitrate, as KMS: the rate measured at the sender, for audio and video alike.
  // It agrees with the growth of bytesSent over the same seconds (payload bytes).
  const outbound = async (mediaType: string) => Object.values((await c.ok('invoke', { object: ep, operation: 'getStats', operationParams: { mediaType }, sessionId: sid })).value as Record<string, Record<string, unknown>>)
    .find((s) => s.type === 'outboundrtp')!;
  await until(async () => Number((await outbound('AUDIO')).targetBitrate) > 0 && Number((await outbound('VIDEO')).targetBitrate) > 0, 6_000, 'measured send rates');
  const kinds = ['AUDIO', 'VIDEO'];
  const before = await Promise.all(kinds.map(outbound));
  const windowStart = performance.now();
  await new Promise((r) => setTimeout(r, 2000));
  const after = await Promise.all(kinds.map(outbound));
  const seconds = (performance.now() - windowStart) / 1000;
  kinds.forEach((kind, i) => {
    const measured = ((Number(after[i]!.bytesSent) - Number(before[i]!.bytesSent)) * 8) / seconds;
    const rate = Number(after[i]!.targetBitrate);
    assert.ok(rate > measured / 2 && rate < measured * 2, `${kind}: targetBitrate ${rate} bps, bytesSent grew at ${Math.round(measured)} bps`);
  });
  assert.equal((await c.ok('invoke', { object: ep, operation: 'getMaxVideoSendBandwidth', sessionId: sid })).value, 500);
  assert.equal((await c.ok('invoke', { object: ep, operation: 'getMinVideoSendBandwidth', sessionId: sid })).value, 100);
  const endpointStats = (st: Record<string, Record<string, unknown>>) => st[ep] as { __type__: string; E2ELatency: Array<{ type: string; avg: number }>; inputLatency: Array<{ type: string; avg: number }>; videoE2ELatency: number };
  assert.deepEqual(endpointStats(stats).E2ELatency, [], 'no latency figures while latencyStats is off');
  // MediaPipeline.latencyStats on: EndpointStats carry input and end-to-end latency (ns).
  await c.ok('invoke', { object: P, operation: 'setLatencyStats', operationParams: { latencyStats: true }, sessionId: sid });
  assert.equal((await c.ok('invoke', { object: P, operation: 'getLatencyStats', sessionId: sid })).value, true);
  await new Promise((r) => setTimeout(r, 500));
  const withLatency = endpointStats((await c.ok('invoke', { object: ep, operation: 'getStats', sessionId: sid })).value as Record<string, Record<string, unknown>>);
  assert.equal(withLatency.__type__, 'EndpointStats');
  const e2e = withLatency.E2ELatency.find((l) => l.type === 'VIDEO');
  assert.ok(e2e && e2e.avg > 0 && e2e.avg < 50e6, `video end-to-end latency in ns: ${JSON.stringify(withLatency.E2ELatency)}`);
  assert.equal(withLatency.videoE2ELatency, e2e.avg, '6.x field carries the same figure');
  assert.ok(withLatency.inputLatency.some((l) => l.type === 'AUDIO' && l.avg >= 0));
  console.log(`# latency inside Fluo, receive to send: video ${(e2e.avg / 1e3).toFixed(1)} µs`);
  await c.ok('invoke', { object: P, operation: 'setLatencyStats', operationParams: { latencyStats: false }, sessionId: sid });
  console.log(`# offer to 30 returned frames: ${firstFrames} ms`);
  // Releasing in the middle of media is safe and frees everything.
  await c.ok('release', { object: P, sessionId: sid });
  await peer.close();
  await assertWorkersIdle(fluo.server);
  await c.close();
  await fluo.stop();
  await new Promise((r) => setTimeout(r, 100));
  const left = activeResources().filter((r) => !['Timeout', 'ProcessWrap', 'PipeWrap'].includes(r));
  assert.deepEqual(left, [], `handles left: ${left.join(', ')}`);
});
