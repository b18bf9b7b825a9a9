/** Reconnection, session garbage collection and 6.x event names, over real WebSockets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFluo, RpcClient, sleep } from '../helpers/fluo.ts';

test('a client reconnecting with connect{sessionId} gets its session and its events back', async () => {
  const fluo = await startFluo();
  const a = await RpcClient.open(fluo.url);
  const sid = (await a.ok('connect')).sessionId!;
  const P = (await a.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
  const x = (await a.ok('create', { type: 'PassThrough', constructorParams: { mediaPipeline: P }, sessionId: sid })).value as string;
  const y = (await a.ok('create', { type: 'PassThrough', constructorParams: { mediaPipeline: P }, sessionId: sid })).value as string;
  await a.ok('subscribe', { object: x, type: 'ElementConnected', sessionId: sid });
  a.ws.terminate();
  const b = await RpcClient.open(fluo.url);
  const r = await b.ok('connect', { sessionId: sid });
  assert.equal(r.sessionId, sid);
  const d = await b.ok('describe', { object: P, sessionId: sid });
  assert.equal(d.type, 'MediaPipeline');
  // Another connection triggers the event; it is delivered to the reconnected socket.
  const other = await RpcClient.open(fluo.url);
  await other.ok('invoke', { object: x, operation: 'connect', operationParams: { sink: y, mediaType: 'VIDEO' }, sessionId: 'other' });
  const ev = await b.waitEvent((e) => e.params?.value.type === 'ElementConnected');
  assert.equal(ev.params!.value.object, x);
  await b.ok('closeSession', { sessionId: sid, release: true });
  await other.ok('closeSession', { sessionId: 'other' });
  await b.close(); await other.close();
  await fluo.stop();
});

test('garbage collector: objects of a session with no socket and no keep-alive are released', async () => {
  const fluo = await startFluo((c) => ({ ...c, resources: { ...c.resources, garbageCollectorPeriod: 1 } }));
  const a = await RpcClient.open(fluo.url);
  const sid = (await a.ok('connect')).sessionId!;
  const P = (await a.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
  const keep = await RpcClient.open(fluo.url);
  const ksid = (await keep.ok('connect')).sessionId!;
  const K = (await keep.ok('create', { type: 'MediaPipeline', sessionId: ksid })).value as string;
  await a.close();
  // Bound sessions survive any number of rounds; the dropped one dies within two periods.
  for (let i = 0; i < 3; i++) fluo.server.collectGarbage();
  const gone = await keep.request('describe', { object: P, sessionId: ksid });
  assert.equal(gone.error?.code, 40101);
  assert.equal((await keep.ok('describe', { object: K, sessionId: ksid })).type, 'MediaPipeline');
  // A session kept alive by pings survives without a bound socket.
  const pinger = await RpcClient.open(fluo.url);
  const psid = (await pinger.ok('connect')).sessionId!;
  const Q = (await pinger.ok('create', { type: 'MediaPipeline', sessionId: psid })).value as string;
  await pinger.close();
  const p2 = await RpcClient.open(fluo.url);
  for (let i = 0; i < 3; i++) {
    await p2.ok('ping', { sessionId: psid });
    fluo.server.collectGarbage();
  }
  assert.equal((await keep.ok('describe', { object: Q, sessionId: ksid })).type, 'MediaPipeline');
  await keep.ok('closeSession', { sessionId: ksid, release: true });
  await keep.close(); await p2.close();
  await fluo.stop();
});

test('6.x event names are accepted and delivered under the subscribed name; ObjectDestroyed', async () => {
  const fluo = await startFluo();
  const c = await RpcClient.open(fluo.url);
  const sid = (await c.ok('connect')).sessionId!;
  const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
  const w = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P }, sessionId: sid })).value as string;
  for (const type of ['OnIceCandidate', 'IceCandidateFound', 'OnIceGatheringDone', 'IceComponentStateChange', 'DataChannelOpen', 'MediaFlowInStateChange', 'MediaFlowOutStateChanged']) {
    const r = await c.request('subscribe', { object: w, type, sessionId: sid });
    assert.ok(r.result?.value, type);
  }
  await c.ok('subscribe', { object: 'manager_ServerManager', type: 'ObjectDestroyed', sessionId: sid });
  await c.ok('release', { object: w, sessionId: sid });
  const ev = await c.waitEvent((e) => e.params?.value.type === 'ObjectDestroyed');
  assert.equal(ev.params!.value.data.objectId, w);
  await c.ok('closeSession', { sessionId: sid, release: true });
  await c.close();
  await fluo.stop();
});
