/** Hostile and malformed input: each gets its documented error and nothing else breaks. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { WebSocket } from 'ws';
import { startFluo, RpcClient } from '../helpers/fluo.ts';

let fluo: Awaited<ReturnType<typeof startFluo>>;
before(async () => {
  fluo = await startFluo((c) => ({ ...c, resources: { ...c.resources, maxObjectsPerSession: 5, maxMessageSize: 64 * 1024 } }));
});
after(async () => { await fluo.stop(); });

test('plain HTTP GET answers 426 Upgrade Required; wrong path refused', async () => {
  const port = new URL(fluo.url).port;
  const status = await new Promise<number>((resolve, reject) => {
    http.get(`http://127.0.0.1:${port}/`, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
  });
  assert.equal(status, 426);
  const ws = new WebSocket(`ws://127.0.0.1:${port}/not-kurento`);
  const outcome = await new Promise<string>((resolve) => {
    ws.once('open', () => resolve('open'));
    ws.once('error', () => resolve('refused'));
  });
  assert.equal(outcome, 'refused');
  // Query strings (access tokens) are ignored.
  const c = await RpcClient.open(`${fluo.url}?access_token=abc`);
  assert.equal((await c.request('ping')).result?.value, 'pong');
  await c.close();
});

test('wrong parameter types, unknown ids, unknown types, unknown operations and events', async () => {
  const c = await RpcClient.open(fluo.url);
  const sid = (await c.ok('connect')).sessionId!;
  const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
  const cases: Array<[string, unknown, number]> = [
    ['create', { type: 'NoSuchThing', sessionId: sid }, 40108],
    ['create', { type: 'MediaElement', sessionId: sid }, 40108],
    ['create', { type: 'PassThrough', sessionId: sid }, 40001],
    ['create', { type: 'PassThrough', constructorParams: { mediaPipeline: 42 }, sessionId: sid }, 40001],
    ['create', { type: 'PassThrough', constructorParams: { mediaPipeline: 'nope' }, sessionId: sid }, 40101],
    ['create', { type: 'PassThrough', constructorParams: 'x', sessionId: sid }, 40001],
    ['create', { type: 'PlayerEndpoint', constructorParams: { mediaPipeline: P, uri: 'not a uri' }, sessionId: sid }, 40107],
    ['create', { type: 7, sessionId: sid }, 40001],
    ['invoke', { object: P, operation: 'noSuchOp', sessionId: sid }, 40008],
    ['invoke', { object: P, operation: 'setLatencyStats', operationParams: { latencyStats: 'yes' }, sessionId: sid }, 40001],
    ['invoke', { object: P, operation: 'setLatencyStats', sessionId: sid }, 40001],
    ['invoke', { object: 'ghost', operation: 'getName', sessionId: sid }, 40101],
    ['invoke', { object: P, operation: 42, sessionId: sid }, 40001],
    ['invoke', { object: P, operation: 'setId', operationParams: { id: 'x' }, sessionId: sid }, 40008],
    ['subscribe', { object: P, type: 'IceCandidateFound', sessionId: sid }, 40106],
    ['subscribe', { object: 'ghost', type: 'Error', sessionId: sid }, 40101],
    ['unsubscribe', { object: P, subscription: 42, sessionId: sid }, 40001],
    ['ref', { object: P }, -32602],
    ['invoke', { object: 'manager_ServerManager', operation: 'getKmd', operationParams: { moduleName: 'nope' }, sessionId: sid }, 40500],
  ];
  for (const [method, params, code] of cases) {
    const r = await c.request(method, params);
    assert.equal(r.error?.code, code, `${method} ${JSON.stringify(params)} -> ${JSON.stringify(r)}`);
    assert.equal(typeof r.error?.message, 'string');
    if (code > 0) assert.equal(typeof r.error?.data?.type, 'string');
  }
  // Unsubscribing what is already gone (a released object's listeners) is not an error.
  assert.ok((await c.request('unsubscribe', { object: P, subscription: 'ghost', sessionId: sid })).result);
  const nf = await c.request('create', { type: 'GStreamerFilter', constructorParams: { mediaPipeline: P, command: 'videoflip' }, sessionId: sid });
  assert.ok([40006].includes(nf.error?.code ?? 0) || nf.result, 'declared but unbuilt -> NOT_IMPLEMENTED');
  await c.ok('release', { object: P, sessionId: sid });
  await c.close();
});

test('huge, deeply nested and binary frames get errors; the server keeps serving', async () => {
  const c = await RpcClient.open(fluo.url);
  const big = await c.sendRaw(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(100 * 1024) } }));
  assert.equal(big.error?.code, -32600);
  assert.match(big.error!.message, /maxMessageSize/);
  const deep = '['.repeat(20000) + ']'.repeat(20000);
  // Nesting past 64 levels is refused before parsing (test/hardening/frames.test.ts).
  const d = await c.sendRaw(`{"jsonrpc":"2.0","id":2,"method":"create","params":{"type":"MediaPipeline","constructorParams":${deep}}}`);
  assert.equal(d.error?.code, -32600);
  const deepObj = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
  const sid = (await c.ok('connect')).sessionId!;
  const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
  const E = (await c.ok('create', { type: 'PassThrough', constructorParams: { mediaPipeline: P }, sessionId: sid })).value as string;
  const n = await c.sendRaw(`{"jsonrpc":"2.0","id":3,"method":"invoke","params":{"object":"${E}","operation":"setVideoFormat","operationParams":{"caps":${deepObj}},"sessionId":"${sid}"}}`);
  assert.equal(n.error?.code, -32600);
  const shallow = '{"a":'.repeat(30) + '1' + '}'.repeat(30);
  const n2 = await c.sendRaw(`{"jsonrpc":"2.0","id":3,"method":"invoke","params":{"object":"${E}","operation":"setVideoFormat","operationParams":{"caps":${shallow}},"sessionId":"${sid}"}}`, 3);
  assert.equal(n2.error?.code, 40001);
  c.ws.send(Buffer.from([0xff, 0xfe, 0x00, 0x01]), { binary: true });
  assert.equal((await c.request('ping')).result?.value, 'pong');
  // A connection that dies mid-request costs nothing to others.
  const d2 = await RpcClient.open(fluo.url);
  d2.ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'create', params: { type: 'MediaPipeline', sessionId: 'dying' } }));
  d2.ws.terminate();
  assert.equal((await c.request('ping')).result?.value, 'pong');
  await c.ok('closeSession', { sessionId: sid, release: true });
  await c.close();
});

test('objects per session are limited with NOT_ENOUGH_RESOURCES (40009)', async () => {
  const c = await RpcClient.open(fluo.url);
  const sid = (await c.ok('connect')).sessionId!;
  for (let i = 0; i < 5; i++) await c.ok('create', { type: 'MediaPipeline', sessionId: sid });
  const r = await c.request('create', { type: 'MediaPipeline', sessionId: sid });
  assert.equal(r.error?.code, 40009);
  assert.equal(r.error?.data?.type, 'NOT_ENOUGH_RESOURCES');
  await c.ok('closeSession', { sessionId: sid, release: true });
  await c.ok('create', { type: 'MediaPipeline', sessionId: 'fresh' });
  await c.ok('closeSession', { sessionId: 'fresh', release: true });
  await c.close();
});
