/**
 * Isolation between applications (mediaServer.security.isolateSessions): with the
 * official kurento-client, one application sees and touches only its own objects,
 * cannot learn another's sessionId, and cannot take its events with it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startFluo, RpcClient, sleep } from '../helpers/fluo.ts';

const require = createRequire(import.meta.url);
// kurento-client is CommonJS with no types; we use it the way applications do.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
const kurento = require('kurento-client') as Loose;

/** A connected kurento-client, and its sessionId (kept on the object `kurento()` returns, not on what it resolves to). */
async function kurentoClient(url: string): Promise<Loose> {
  const raw = kurento(url, { failAfter: 1, request_timeout: 5000 });
  // With the reconnect-ws override a dropped socket would otherwise throw in the test process.
  raw._re.on('error', () => undefined);
  const client = await raw;
  Object.defineProperty(client, 'sid', { get: () => raw.sessionId as string });
  return client;
}

/** kurento-client 7.3.0 reports a refused call to its callback only (see test/client). */
function callbackError(fn: (cb: (err: Loose) => void) => void): Promise<Loose> {
  return new Promise((resolve) => fn((err) => resolve(err)));
}

let fluo: Awaited<ReturnType<typeof startFluo>>;
before(async () => {
  fluo = await startFluo((c) => ({ ...c, security: { ...c.security, isolateSessions: true } }));
});
after(async () => { await fluo.stop(); });

test('isolation: another application neither sees nor touches my objects; my events stay mine', async () => {
  const alice = await kurentoClient(fluo.url);
  const bob = await kurentoClient(fluo.url);
  const aliceManager = await alice.getServerManager();
  const created: string[] = [];
  aliceManager.on('ObjectCreated', (ev: { object: Loose }) => created.push(typeof ev.object === 'string' ? ev.object : ev.object.id));
  await sleep(100); // the subscription is sent in the background
  const pipeline = await alice.create('MediaPipeline');
  const pass = await pipeline.create('PassThrough');
  await sleep(100);
  assert.deepEqual(created.sort(), [pipeline.id, pass.id].sort());

  // Bob's view: no pipelines but his own, no session but his own.
  const bobManager = await bob.getServerManager();
  const bobPipeline = await bob.create('MediaPipeline');
  const pipelines = (await bobManager.getPipelines()).map((p: Loose) => p.id);
  assert.deepEqual(pipelines, [bobPipeline.id]);
  assert.deepEqual(await bobManager.getSessions(), [bob.sid]);
  await sleep(100);
  assert.ok(!created.includes(bobPipeline.id), 'Alice got ObjectCreated for Bob\'s pipeline');

  // Bob cannot reach Alice's objects, by id or as a parameter.
  const err = await callbackError((cb) => bob.getMediaobjectById(pipeline.id, cb));
  assert.equal(err?.code, 40101);
  const raw = await RpcClient.open(fluo.url);
  const sid = (await raw.ok('connect')).sessionId!;
  for (const [method, params] of [
    ['release', { object: pipeline.id }],
    ['release', { object: pass.id }],
    ['invoke', { object: pass.id, operation: 'getName' }],
    ['subscribe', { object: pass.id, type: 'Error' }],
    ['create', { type: 'PassThrough', constructorParams: { mediaPipeline: pipeline.id } }],
  ] as const) {
    const r = await raw.request(method, { ...params, sessionId: sid });
    assert.equal(r.error?.code, 40101, `${method} ${JSON.stringify(params)}: ${JSON.stringify(r)}`);
  }
  const own = (await raw.ok('create', { type: 'PassThrough', constructorParams: { mediaPipeline: (await raw.ok('create', { type: 'MediaPipeline', sessionId: sid })).value }, sessionId: sid })).value as string;
  const connect = await raw.request('invoke', { object: own, operation: 'connect', operationParams: { sink: pass.id }, sessionId: sid });
  assert.equal(connect.error?.code, 40101);

  // A request carrying Alice's sessionId neither works nor takes her events.
  for (const [method, params] of [['ping', {}], ['connect', {}], ['describe', { object: pipeline.id }], ['create', { type: 'MediaPipeline' }]] as const) {
    const r = await raw.request(method, { ...params, sessionId: alice.sid });
    assert.equal(r.error?.code, 40007, `${method}: ${JSON.stringify(r)}`);
  }
  assert.ok(typeof alice.sid === 'string');
  const later = await pipeline.create('PassThrough');
  await sleep(100);
  assert.ok(created.includes(later.id), 'Alice still gets her events');
  assert.equal(raw.events.length, 0);

  // Alice's objects are still hers to use and release.
  assert.equal(await pass.getName(), pass.id);
  await pipeline.release();
  await bobPipeline.release();
  alice.close();
  bob.close();
  await raw.close();
});

test('isolation: once its connection is closed, the session id resumes the session (a reconnecting client)', async () => {
  const c1 = await RpcClient.open(fluo.url);
  const sid = (await c1.ok('connect')).sessionId!;
  const P = (await c1.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
  await c1.close();
  await sleep(50);
  const c2 = await RpcClient.open(fluo.url);
  assert.equal((await c2.ok('connect', { sessionId: sid })).sessionId, sid);
  assert.equal((await c2.ok('describe', { object: P, sessionId: sid })).type, 'MediaPipeline');
  await c2.ok('release', { object: P, sessionId: sid });
  await c2.close();
});
