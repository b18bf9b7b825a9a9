/**
 * Issue 16, defect 8: endpoints that got an answer but whose peer never does ICE kept
 * their sockets until the session collector ran (200 of them held 846 fds for 4-8
 * minutes). After WebRtcEndpoint.conf.ini `iceConnectTimeout` (default 60 s; 1 s here)
 * each raises Error and frees its sockets; the objects stay until the application
 * releases them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFluo, RpcClient, workerSockets, assertWorkersIdle, SINGLE_PORT } from '../helpers/fluo.ts';
import { RemotePeers, until } from '../helpers/RemotePeers.ts';

test('endpoints whose peer never connects free their sockets after iceConnectTimeout, and raise Error', async () => {
  const fluo = await startFluo((cfg) => ({ ...cfg, modules: { ...cfg.modules, WebRtcEndpoint: { ...cfg.modules.WebRtcEndpoint, iceConnectTimeout: '1' } } }));
  const c = await RpcClient.open(fluo.url);
  const peers = new RemotePeers();
  try {
    const sid = (await c.ok('connect')).sessionId!;
    const errors: Array<{ object: string; data: Record<string, unknown> }> = [];
    c.onEvent((e) => { const v = e.params?.value; if (v?.type === 'Error') errors.push({ object: v.object, data: v.data as Record<string, unknown> }); });
    const value = async (method: string, params: Record<string, unknown>) => (await c.ok(method, { ...params, sessionId: sid })).value as string;
    const P = await value('create', { type: 'MediaPipeline' });
    // A real peer's offer, answered, and then silence: no candidates, no ICE.
    const peer = await peers.create();
    const offer = (await peer.call('offer')) as string;
    const eps: string[] = [];
    for (let i = 0; i < 20; i++) {
      const ep = await value('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P } });
      await value('subscribe', { object: ep, type: 'Error' });
      await value('invoke', { object: ep, operation: 'processOffer', operationParams: { offer } });
      await value('invoke', { object: ep, operation: 'gatherCandidates' });
      eps.push(ep);
    }
    const held = (await workerSockets(fluo.server)).length;
    // A socket or two per endpoint, or the worker's shared ones in single-port mode.
    assert.ok(held >= (SINGLE_PORT ? 1 : 40), `sockets held while waiting for the peers: ${held}`);
    await until(() => errors.length === eps.length, 10_000, 'an Error from every endpoint');
    for (const e of errors) {
      assert.equal(e.data.type, 'ICE_CONNECT_TIMEOUT');
      assert.match(String(e.data.description), /ICE did not connect within 1 s .*iceConnectTimeout.*freed its sockets/);
    }
    await until(async () => (await workerSockets(fluo.server)).length === 0, 10_000, 'every socket freed');
    // The objects stay, with their state, until the application releases them.
    for (const ep of eps) assert.equal(await value('invoke', { object: ep, operation: 'getConnectionState' }), 'DISCONNECTED');
    await value('release', { object: P });
    await assertWorkersIdle(fluo.server);
  } finally {
    peers.stop();
    await c.close();
    await fluo.stop();
  }
});
