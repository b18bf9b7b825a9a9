/**
 * A real WebRTC peer (libwebrtc via @roamhq/wrtc) sends its picture to a Fluo
 * WebRtcEndpoint connected to itself (Kurento's hello-world loopback) and gets it back:
 * the picture returns and changes, and Kurento's events fire in order.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFluo, RpcClient, activeResources } from '../helpers/fluo.ts';
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
  assert.equal((await c.ok('invoke', { object: ep, operation: 'getConnectionState', sessionId: sid })).value, 'CONNECTED');
  assert.equal((await c.ok('invoke', { object: ep, operation: 'getMediaState', sessionId: sid })).value, 'CONNECTED');
  assert.equal((await c.ok('invoke', { object: ep, operation: 'isMediaFlowingIn', operationParams: { mediaType: 'VIDEO' }, sessionId: sid })).value, true);
  assert.equal((await c.ok('invoke', { object: ep, operation: 'isMediaFlowingOut', operationParams: { mediaType: 'AUDIO' }, sessionId: sid })).value, true);
  const stats = (await c.ok('invoke', { object: ep, operation: 'getStats', operationParams: { mediaType: 'VIDEO' }, sessionId: sid })).value as Record<string, Record<string, unknown>>;
  const inbound = Object.values(stats).find((s) => s.type === 'inboundrtp');
  assert.ok(inbound && Number(inbound.packetsReceived) > 0, 'inbound packets in getStats');
  assert.equal(inbound.__type__, 'RTCInboundRTPStreamStats');
  console.log(`# offer to 30 returned frames: ${firstFrames} ms`);
  // Releasing in the middle of media is safe and frees everything.
  await c.ok('release', { object: P, sessionId: sid });
  await peer.close();
  await c.close();
  await fluo.stop();
  await new Promise((r) => setTimeout(r, 100));
  const left = activeResources().filter((r) => !['Timeout', 'ProcessWrap', 'PipeWrap'].includes(r));
  assert.deepEqual(left, [], `handles left: ${left.join(', ')}`);
});
