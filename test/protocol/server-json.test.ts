/**
 * Re-creates KMS's server tests (server_json_test, server_duplicate_requests,
 * server_json_session, server_events_test; conformance notes a.1-a.4) as JSON-RPC
 * transcripts over a real WebSocket against an in-process Fluo.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFluo, RpcClient, sleep } from '../helpers/fluo.ts';

let fluo: Awaited<ReturnType<typeof startFluo>>;
before(async () => { fluo = await startFluo(); });
after(async () => { await fluo.stop(); });

const PLAYER_URI = 'file:///tmp/fluo-test-player.webm';

test('a.1 connect: new session, then unknown session -> 40007', async () => {
  const c = await RpcClient.open(fluo.url);
  const r = await c.sendRaw('{"jsonrpc":"2.0","id":0,"method":"connect","params":null}', 0);
  assert.equal(typeof r.result?.sessionId, 'string');
  assert.equal(typeof r.result?.serverId, 'string');
  assert.equal(r.error, undefined);
  const bad = await c.request('connect', { sessionId: 'fakeSession' }, 1);
  assert.equal(bad.error?.code, 40007);
  assert.equal(bad.error?.data?.type, 'INVALID_SESSION');
  assert.ok(bad.error?.message);
  await c.close();
});

test('a.1 bad protocol -> -32600 with id null and no data', async () => {
  const c = await RpcClient.open(fluo.url);
  const r = await c.sendRaw('{"jsonrpc":"1","id":2,"method":"create"}');
  assert.deepEqual(r, { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid JSON-RPC request.' } });
  for (const text of ['{"jsonrpc":"2.0","id":[1],"method":"ping"}', '{"jsonrpc":"2.0","id":{},"method":"ping"}', '{"jsonrpc":"2.0","id":3}', '{"jsonrpc":"2.0","id":3,"method":7}']) {
    const e = await c.sendRaw(text);
    assert.equal(e.error?.code, -32600, text);
    assert.equal(e.id, null);
  }
  const p = await c.sendRaw('{"jsonrpc":"2.0","id":4,"method":', null);
  assert.deepEqual(p, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error.' } });
  const m = await c.request('noSuchMethod', {});
  assert.equal(m.error?.code, -32601);
  assert.equal(m.error?.data, undefined);
  await c.close();
});

test('a.1 create / invoke / ref / describe / release, stray top-level sessionId ignored', async () => {
  const c = await RpcClient.open(fluo.url);
  const send = (id: number, method: string, params: unknown) =>
    c.sendRaw(JSON.stringify({ jsonrpc: '2.0', id, method, params, sessionId: 'sessionId' }), id);
  const p = await send(10, 'create', { type: 'MediaPipeline', sessionId: '123456' });
  const pipeline = p.result?.value as string;
  assert.match(pipeline, /^[0-9a-f-]{36}_kurento\.MediaPipeline$/);
  const e = await send(11, 'create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: pipeline }, sessionId: '123456' });
  const ep = e.result?.value as string;
  assert.ok(ep.startsWith(`${pipeline}/`) && ep.endsWith('_kurento.WebRtcEndpoint'), ep);
  const n = await send(12, 'invoke', { object: ep, operation: 'getName', operationParams: null, sessionId: '123456' });
  assert.equal(n.result?.value, ep);
  const ref = await send(13, 'ref', { object: ep, sessionId: '12345' });
  assert.ok(ref.result);
  const d = await send(14, 'describe', { object: ep, sessionId: '12345' });
  assert.equal(d.result?.type, 'WebRtcEndpoint');
  assert.equal(d.result?.qualifiedType, 'kurento.WebRtcEndpoint');
  assert.deepEqual(d.result?.hierarchy, ['kurento.BaseRtpEndpoint', 'kurento.SdpEndpoint', 'kurento.SessionEndpoint', 'kurento.Endpoint', 'kurento.MediaElement', 'kurento.MediaObject']);
  const rel = await send(15, 'release', { object: ep, sessionId: '123456', operationParams: null });
  assert.equal(rel.result?.sessionId, '123456');
  const after = await send(16, 'invoke', { object: ep, operation: 'getName', sessionId: '123456' });
  assert.equal(after.error?.code, 40101);
  assert.match(after.error!.message, / not found/);
  await send(17, 'release', { object: pipeline, sessionId: '123456' });
  await c.close();
});

test('a.1 transactions: bad one fails per-op, good one answers 4 results with newref', async () => {
  const c = await RpcClient.open(fluo.url);
  const junk = { _events: {}, _maxListeners: 10, domain: null, members: [] };
  const bad = await c.request('transaction', {
    sessionId: 'tx-session',
    operations: [
      { jsonrpc: '2.0', id: 0, method: 'create', params: { type: 'PlayerEndpoint', constructorParams: { mediaPipeline: 'nope_kurento.MediaPipeline', uri: PLAYER_URI }, transaction: junk } },
      { jsonrpc: '2.0', id: 1, method: 'create', params: { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: 'nope_kurento.MediaPipeline' }, transaction: junk } },
    ],
  }, 50000);
  assert.equal(bad.error, undefined);
  assert.ok(bad.result);
  const badOps = bad.result.value as Array<{ error?: { code: number } }>;
  assert.equal(badOps.length, 1);
  assert.equal(badOps[0]!.error?.code, 40101);

  const good = await c.request('transaction', {
    sessionId: 'tx-session',
    operations: [
      { jsonrpc: '2.0', id: 0, method: 'create', params: { type: 'MediaPipeline' } },
      { jsonrpc: '2.0', id: 1, method: 'create', params: { type: 'PlayerEndpoint', constructorParams: { mediaPipeline: 'newref:0', uri: PLAYER_URI } } },
      { jsonrpc: '2.0', id: 2, method: 'create', params: { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: 'newref:0' } } },
      { jsonrpc: '2.0', id: 3, method: 'invoke', params: { object: 'newref:1', operation: 'connect', operationParams: { sink: 'newref:2' } } },
    ],
  });
  assert.equal(good.error, undefined);
  const ops = good.result!.value as Array<{ id: number; jsonrpc: string; result?: { value?: string } }>;
  assert.equal(ops.length, 4);
  ops.forEach((o, i) => { assert.equal(o.id, i); assert.equal(o.jsonrpc, '2.0'); assert.ok(o.result); });
  const pipeline = ops[0]!.result!.value!;
  const children = await c.ok('invoke', { object: pipeline, operation: 'getChildren', sessionId: 'tx-session' });
  assert.equal((children.value as string[]).length, 2);
  // Out-of-order ids are refused as a whole (40008), and newref outside a transaction is 40109.
  const wrong = await c.request('transaction', { sessionId: 'tx-session', operations: [{ jsonrpc: '2.0', id: 5, method: 'create', params: { type: 'MediaPipeline' } }] });
  assert.equal(wrong.error?.code, 40008);
  const outside = await c.request('invoke', { object: 'newref:0', operation: 'getName', sessionId: 'tx-session' });
  assert.equal(outside.error?.code, 40109);
  await c.ok('release', { object: pipeline, sessionId: 'tx-session' });
  await c.close();
});

test('a.2 duplicate requests replay the stored answer', async () => {
  const c = await RpcClient.open(fluo.url);
  const frame = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'create', params: { type: 'MediaPipeline', sessionId: 'dup-1111' } });
  const a = await c.sendRaw(frame, 7);
  const b = await c.sendRaw(frame, 7);
  assert.deepEqual(a, b);
  const pipeline = a.result!.value as string;
  const pframe = JSON.stringify({ jsonrpc: '2.0', id: 8, method: 'create', params: { type: 'PlayerEndpoint', constructorParams: { mediaPipeline: pipeline, uri: PLAYER_URI }, sessionId: 'dup-1111' } });
  const pa = await c.sendRaw(pframe, 8);
  const pb = await c.sendRaw(pframe, 8);
  assert.deepEqual(pa, pb);
  const kids = await c.ok('invoke', { object: pipeline, operation: 'getChildren', sessionId: 'dup-1111' });
  assert.equal((kids.value as string[]).length, 1, 'the duplicate did not create a second player');
  await c.ok('closeSession', { sessionId: 'dup-1111', release: true });
  await c.close();
});

test('a.3 sessions and reference counting', async () => {
  const c = await RpcClient.open(fluo.url);
  const build = async (): Promise<{ P: string; F: string }> => {
    const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: '1111' })).value as string;
    const player = (await c.ok('create', { type: 'PlayerEndpoint', constructorParams: { mediaPipeline: P, uri: PLAYER_URI }, sessionId: '1111' })).value as string;
    const F = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P }, sessionId: '1111' })).value as string;
    const R1 = (await c.ok('create', { type: 'RecorderEndpoint', constructorParams: { mediaPipeline: P, uri: 'file:///tmp/recorder1.webm' }, sessionId: '1111' })).value as string;
    const R2 = (await c.ok('create', { type: 'RecorderEndpoint', constructorParams: { mediaPipeline: P, uri: 'file:///tmp/recorder2.webm' }, sessionId: '2222' })).value as string;
    await c.ok('invoke', { object: player, operation: 'connect', operationParams: { sink: F }, sessionId: '1111' });
    await c.ok('invoke', { object: F, operation: 'connect', operationParams: { sink: R1 }, sessionId: '1111' });
    await c.ok('invoke', { object: F, operation: 'connect', operationParams: { sink: R2 }, sessionId: '2222' });
    return { P, F };
  };
  // Part 1: unref each object.
  {
    const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: '1111' })).value as string;
    const F = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P }, sessionId: '1111' })).value as string;
    const R2 = (await c.ok('create', { type: 'RecorderEndpoint', constructorParams: { mediaPipeline: P, uri: 'file:///tmp/r.webm' }, sessionId: '2222' })).value as string;
    await c.ok('unref', { object: F, sessionId: '1111' });
    await c.ok('unref', { object: R2, sessionId: '2222' });
    await c.ok('closeSession', { sessionId: '1111', release: true });
    await c.ok('closeSession', { sessionId: '2222', release: true });
  }
  // Part 2: closeSession keeps what other sessions hold.
  const { P } = await build();
  const kids = async (sid: string) => (await c.ok('invoke', { object: P, operation: 'getChildren', sessionId: sid })).value as string[];
  assert.equal((await kids('3333')).length, 4);
  const childs6 = await c.ok('invoke', { object: P, operation: 'getChilds', sessionId: '3333' });
  assert.equal((childs6.value as string[]).length, 4, '6.x getChilds');
  assert.equal((await c.request('closeSession', { sessionId: '1111' })).result, null);
  assert.equal((await kids('3333')).length, 2);
  await c.ok('closeSession', { sessionId: '2222' });
  assert.equal((await kids('2222')).length, 0);
  await c.ok('closeSession', { sessionId: '2222', release: true });
  const gone = await c.request('invoke', { object: P, operation: 'getChildren', sessionId: '3333' });
  assert.equal(gone.error?.code, 40101);
  await c.close();
});

test('a.4 events are per (session, object, type): one delivery, stops after the last unsubscribe', async () => {
  const c = await RpcClient.open(fluo.url);
  const s1 = await c.ok('subscribe', { object: 'manager_ServerManager', type: 'ObjectCreated' });
  const sid = s1.sessionId!;
  assert.ok(sid && s1.value);
  const s2 = await c.ok('subscribe', { object: 'manager_ServerManager', type: 'ObjectCreated', sessionId: sid });
  assert.equal(s2.sessionId, sid);
  assert.ok(s2.value && s2.value !== s1.value);
  const created = async (): Promise<{ id: string; count: number }> => {
    c.events.length = 0;
    const id = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
    await sleep(300);
    return { id, count: c.events.filter((e) => e.params?.value.type === 'ObjectCreated').length };
  };
  const one = await created();
  assert.equal(one.count, 1);
  const ev = c.events.find((e) => e.params?.value.type === 'ObjectCreated')!;
  assert.equal(ev.params!.value.data.object, one.id);
  assert.equal(ev.params!.value.data.source, 'manager_ServerManager');
  assert.equal(ev.params!.value.object, 'manager_ServerManager');
  assert.equal(typeof ev.params!.value.data.timestampMillis, 'string');
  assert.deepEqual(ev.params!.value.data.tags, []);
  assert.equal(ev.id, undefined);
  await c.ok('unsubscribe', { object: 'manager_ServerManager', subscription: s1.value, sessionId: sid });
  assert.equal((await created()).count, 1);
  await c.ok('unsubscribe', { object: 'manager_ServerManager', subscription: s2.value, sessionId: sid });
  assert.equal((await created()).count, 0);
  await c.ok('closeSession', { sessionId: sid, release: true });
  await c.close();
});

test('ping: with and without interval / sessionId; request id 0 valid', async () => {
  const c = await RpcClient.open(fluo.url);
  assert.deepEqual(await c.sendRaw('{"jsonrpc":"2.0","method":"ping","id":0}', 0), { jsonrpc: '2.0', id: 0, result: { value: 'pong' } });
  const r = await c.request('ping', { interval: 5000 });
  assert.deepEqual(r.result, { value: 'pong' });
  const bad = await c.request('ping', { interval: 'x' });
  assert.equal(bad.error?.code, -32602);
  await c.close();
});
