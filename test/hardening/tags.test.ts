/**
 * Issue 16, defect 5: any client could addTag without limit on the shared
 * ServerManager (never released) and turn on its sendTagsInEvents, so every other
 * client's ObjectCreated event carried them. Tags are now bounded on every object and
 * the ServerManager takes no tags or property changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFluo, RpcClient } from '../helpers/fluo.ts';

const SM = 'manager_ServerManager';

test('defect 5: ServerManager read-only for clients; tags (and subscriptions) bounded on every object', async () => {
  const fluo = await startFluo();
  const c = await RpcClient.open(fluo.url);
  try {
    const sid = (await c.ok('connect')).sessionId!;
    const inv = (object: string, operation: string, operationParams?: unknown) => c.request('invoke', { object, operation, operationParams, sessionId: sid });
    for (const [op, params] of [['addTag', { key: 'k', value: 'v' }], ['removeTag', { key: 'k' }], ['setSendTagsInEvents', { sendTagsInEvents: true }], ['setName', { name: 'mine' }]] as const) {
      const r = await inv(SM, op, params);
      assert.equal(r.error?.code, 40111, `${op}: ${JSON.stringify(r)}`);
      assert.match(r.error!.message, /ServerManager is shared/);
    }
    assert.equal((await inv(SM, 'getSendTagsInEvents')).result?.value, false);
    assert.deepEqual((await inv(SM, 'getTags')).result?.value, []);

    const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
    for (let i = 0; i < 64; i++) assert.ok((await inv(P, 'addTag', { key: `k${i}`, value: 'v' })).result);
    const more = await inv(P, 'addTag', { key: 'k64', value: 'v' });
    assert.equal(more.error?.code, 40009);
    assert.match(more.error!.message, /64 tags \(mediaServer\.resources\.maxTagsPerObject\)/);
    assert.ok((await inv(P, 'addTag', { key: 'k0', value: 'replaced' })).result, 'replacing a tag is not one more');
    assert.ok((await inv(P, 'removeTag', { key: 'k1' })).result);
    assert.ok((await inv(P, 'addTag', { key: 'k64', value: 'v' })).result);
    for (const params of [{ key: 'x'.repeat(4097), value: 'v' }, { key: 'k2', value: 'x'.repeat(4097) }]) {
      const r = await inv(P, 'addTag', params);
      assert.equal(r.error?.code, 40107);
      assert.match(r.error!.message, /longer than 4096 \(mediaServer\.resources\.maxTagLength\)/);
    }
    assert.ok((await inv(P, 'addTag', { key: 'k2', value: 'x'.repeat(4096) })).result);
    // Subscriptions are bounded too: 100 per session, object and event.
    for (let i = 0; i < 100; i++) await c.ok('subscribe', { object: P, type: 'Error', sessionId: sid });
    const sub = await c.request('subscribe', { object: P, type: 'Error', sessionId: sid });
    assert.equal(sub.error?.code, 40009);
    // An ObjectCreated event carries nothing of other clients' tags.
    await c.ok('subscribe', { object: SM, type: 'ObjectCreated', sessionId: sid });
    await c.ok('create', { type: 'PassThrough', constructorParams: { mediaPipeline: P }, sessionId: sid });
    const ev = await c.waitEvent((m) => m.params?.value.type === 'ObjectCreated');
    assert.deepEqual(ev.params!.value.data.tags, []);
    await c.ok('release', { object: P, sessionId: sid });
  } finally {
    await c.close();
    await fluo.stop();
  }
});
