/**
 * Issue 16, defects 2 and 4: limits on objects, sessions and connections per
 * connection and for the whole server, each answering 40009 with a message naming
 * the setting; session ids bounded in length and number.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WebSocket } from 'ws';
import { startFluo, RpcClient, sleep } from '../helpers/fluo.ts';

let fluo: Awaited<ReturnType<typeof startFluo>>;
before(async () => {
  fluo = await startFluo((c) => ({
    ...c,
    resources: { ...c.resources, maxObjectsPerSession: 3, maxObjectsPerConnection: 5, maxObjects: 8, maxSessionsPerConnection: 10, maxSessions: 15, maxConnections: 4 },
  }));
});
after(async () => { await fluo.stop(); });

async function expectLimit(c: RpcClient, method: string, params: unknown, key: string): Promise<void> {
  const r = await c.request(method, params);
  assert.equal(r.error?.code, 40009, JSON.stringify(r));
  assert.equal(r.error?.data?.type, 'NOT_ENOUGH_RESOURCES');
  assert.ok(r.error?.message.includes(`mediaServer.resources.${key}`), r.error?.message);
}

test('defect 2: objects per connection and per server are bounded, whatever sessionIds the client sends', async () => {
  const a = await RpcClient.open(fluo.url);
  for (let i = 0; i < 3; i++) await a.ok('create', { type: 'MediaPipeline', sessionId: 's1' });
  await expectLimit(a, 'create', { type: 'MediaPipeline', sessionId: 's1' }, 'maxObjectsPerSession');
  for (let i = 0; i < 2; i++) await a.ok('create', { type: 'MediaPipeline', sessionId: 's2' });
  await expectLimit(a, 'create', { type: 'MediaPipeline', sessionId: 's3' }, 'maxObjectsPerConnection');
  await expectLimit(a, 'create', { type: 'MediaPipeline' }, 'maxObjectsPerConnection');
  // In a transaction too.
  const tx = await a.request('transaction', { sessionId: 's3', operations: [{ id: 0, method: 'create', params: { type: 'MediaPipeline' } }] });
  const inner = (tx.result?.value as Array<{ error?: { code: number; message: string } }>)[0]!;
  assert.equal(inner.error?.code, 40009);
  assert.match(inner.error!.message, /maxObjectsPerConnection/);

  const b = await RpcClient.open(fluo.url);
  for (let i = 0; i < 2; i++) await b.ok('create', { type: 'MediaPipeline', sessionId: 'b1' }); // 5 + 2 + the ServerManager = 8
  await expectLimit(b, 'create', { type: 'MediaPipeline', sessionId: 'b2' }, 'maxObjects');
  // Releasing gives the room back.
  await a.ok('closeSession', { sessionId: 's2', release: true });
  await a.ok('create', { type: 'MediaPipeline', sessionId: 's2' });
  for (const [c, sid] of [[a, 's1'], [a, 's2'], [b, 'b1']] as const) await c.ok('closeSession', { sessionId: sid, release: true });
  await a.close();
  await b.close();
});

test('defect 2: connections are bounded: one too many is closed with 1013 naming the limit', async () => {
  const open = await Promise.all([0, 1, 2, 3].map(() => RpcClient.open(fluo.url)));
  const extra = new WebSocket(fluo.url);
  const [code, reason] = await Promise.race([
    new Promise<[number, string]>((r) => extra.once('close', (c, why) => r([c, why.toString()]))),
    sleep(3000).then((): [number, string] => { extra.terminate(); return [0, 'still open after 3 s']; }),
  ]);
  assert.equal(code, 1013);
  assert.match(reason, /40009.*mediaServer\.resources\.maxConnections \(4\)/);
  for (const c of open) assert.equal((await c.request('ping')).result?.value, 'pong');
  await Promise.all(open.map((c) => c.close()));
  const again = await RpcClient.open(fluo.url);
  assert.equal((await again.request('ping')).result?.value, 'pong');
  await again.close();
});

test('defect 4: sessionIds are bounded in length, and in number per connection and in the table', async () => {
  const c = await RpcClient.open(fluo.url);
  const long = await c.request('ping', { sessionId: 'x'.repeat(129) });
  assert.equal(long.error?.code, 40007);
  assert.match(long.error!.message, /longer than 128/);
  assert.equal((await c.request('ping', { sessionId: 'x'.repeat(128) })).result?.value, 'pong');
  const before = fluo.server.rpc.sessions.size;
  // The attack: pings with ever new ids. One connection may bring 10.
  const answers = [];
  for (let i = 0; i < 200; i++) answers.push(await c.request('ping', { sessionId: randomUUID() }));
  assert.equal(answers.filter((r) => r.result?.value === 'pong').length, 9);
  assert.ok(answers.slice(9).every((r) => r.error?.code === 40009 && r.error.message.includes('mediaServer.resources.maxSessionsPerConnection')));
  // Ids minted by the server count too.
  await expectLimit(c, 'connect', {}, 'maxSessionsPerConnection');
  await expectLimit(c, 'create', { type: 'MediaPipeline' }, 'maxSessionsPerConnection');
  assert.equal(fluo.server.rpc.sessions.size, before + 9);
  // The table as a whole: other connections fill it up to 15.
  const others = await Promise.all([0, 1].map(() => RpcClient.open(fluo.url)));
  let full;
  for (let i = 0; i < 20 && !full; i++) {
    const r = await others[i % 2]!.request('ping', { sessionId: randomUUID() });
    if (r.error) full = r;
  }
  assert.equal(full?.error?.code, 40009);
  assert.match(full!.error!.message, /mediaServer\.resources\.maxSessions\b/);
  assert.equal(fluo.server.rpc.sessions.size, 15);
  // Known sessions keep working.
  assert.equal((await c.request('ping', { sessionId: 'x'.repeat(128) })).result?.value, 'pong');
  await Promise.all([c, ...others].map((x) => x.close()));
});
