/** Pure cores of the control plane: duplicate cache, session table, subscriptions. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RequestCache } from '../../src/rpc/RequestCache.ts';
import { SessionTable } from '../../src/rpc/SessionTable.ts';
import { Subscriptions } from '../../src/core/Subscriptions.ts';
import type { RpcConnection } from '../../src/rpc/RpcConnection.ts';

test('RequestCache: replays within the window, expires after it, bounded in entries', () => {
  let now = 0;
  const cache = new RequestCache(20_000, 3, () => now);
  const k = RequestCache.key('s', 1);
  assert.equal(cache.get(k), null);
  cache.set(k, 'answer');
  now = 19_999;
  assert.equal(cache.get(k), 'answer');
  now = 20_001;
  assert.equal(cache.get(k), null);
  // Ids of different JSON types do not collide ("1" vs 1).
  cache.set(RequestCache.key('s', 1), 'number');
  cache.set(RequestCache.key('s', '1'), 'string');
  assert.equal(cache.get(RequestCache.key('s', 1)), 'number');
  assert.equal(cache.get(RequestCache.key('s', '1')), 'string');
  // Same session and id but another request (a client that restarted its ids): no replay.
  assert.notEqual(RequestCache.key('s', 1, '{"method":"create"}'), RequestCache.key('s', 1, '{"method":"describe"}'));
  assert.equal(RequestCache.key('s', 1, 'x'), RequestCache.key('s', 1, 'x'));
  cache.set(RequestCache.key('s', 2), 'a');
  cache.set(RequestCache.key('s', 3), 'b');
  assert.equal(cache.size, 3);
  assert.equal(cache.get(RequestCache.key('s', 1)), null, 'oldest evicted past the bound');
});

function conn(id: number): RpcConnection & { open: boolean } {
  return { id, open: true, sessionId: undefined, send: () => undefined };
}

test('SessionTable: one session per connection (the latest), events follow rebinding', () => {
  const t = new SessionTable();
  const a = conn(1);
  const b = conn(2);
  t.bind('S1', a);
  assert.equal(t.connectionOf('S1'), a);
  t.bind('S2', a);
  assert.equal(t.connectionOf('S1'), undefined, 'old session erased from the connection');
  assert.equal(a.sessionId, 'S2');
  t.bind('S2', b);
  assert.equal(t.connectionOf('S2'), b);
  b.open = false;
  assert.equal(t.connectionOf('S2'), undefined);
});

test('SessionTable GC: bound sessions survive; idle ones die after a full period', () => {
  const t = new SessionTable();
  const a = conn(1);
  t.bind('live', a);
  t.keepAlive('idle', a);
  assert.deepEqual(t.collect(['live', 'idle', 'unknown']), ['unknown']);
  assert.deepEqual(t.collect(['live', 'idle']), ['idle']);
  t.keepAlive('idle', a);
  assert.deepEqual(t.collect(['live', 'idle']), []);
  a.open = false;
  t.connectionClosed(a);
  assert.deepEqual(t.collect(['live']), ['live']);
});

test('Subscriptions: one delivery per (session, object, type); removal by id', () => {
  const s = new Subscriptions();
  const id1 = s.add('S', 'obj', 'ObjectCreated');
  const id2 = s.add('S', 'obj', 'ObjectCreated');
  s.add('T', 'obj', 'ObjectCreated');
  assert.notEqual(id1, id2);
  assert.deepEqual([...s.sessionsFor('obj', 'ObjectCreated')!], ['S', 'T']);
  assert.equal(s.remove(id1, 'other-object'), false);
  assert.ok(s.remove(id1));
  assert.deepEqual([...s.sessionsFor('obj', 'ObjectCreated')!], ['S', 'T']);
  assert.ok(s.remove(id2));
  assert.deepEqual([...s.sessionsFor('obj', 'ObjectCreated')!], ['T']);
  assert.equal(s.remove(id2), false);
  s.removeSession('T');
  assert.equal(s.sessionsFor('obj', 'ObjectCreated'), undefined);
  assert.equal(s.size, 0);
  s.add('S', 'x', 'A');
  s.removeObject('x');
  assert.equal(s.size, 0);
  assert.equal(s.hasAny('x'), false);
});
