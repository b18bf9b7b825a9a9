/**
 * Single-port mode (issue 14 item 1): two WebRtcEndpoints of one media worker, each in
 * a loopback call with its own libwebrtc peer, both on the worker's one UDP port: their
 * candidates name it, the pictures come back to each peer, the worker holds that socket
 * (per address family) and no other, a stranger's datagrams on the port reach no
 * endpoint and are counted, and releasing the calls closes it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { startFluo, RpcClient, workerSockets, assertWorkersIdle } from '../helpers/fluo.ts';
import { RemotePeers, until } from '../helpers/RemotePeers.ts';

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  s.close();
  return port;
}

test('two calls through one UDP port of the worker; strangers dropped; released with the calls', async () => {
  const port = await freeUdpPort();
  const fluo = await startFluo((c) => ({ ...c, mediaWorkers: 1, webRtcPort: port }));
  const c = await RpcClient.open(fluo.url);
  const peers = new RemotePeers();
  try {
    const sid = (await c.ok('connect')).sessionId!;
    const v = async (method: string, params: Record<string, unknown>) => (await c.ok(method, { ...params, sessionId: sid })).value;
    const P = await v('create', { type: 'MediaPipeline' }) as string;
    const calls = [];
    for (let i = 0; i < 2; i++) {
      const ep = await v('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P } }) as string;
      await v('invoke', { object: ep, operation: 'connect', operationParams: { sink: ep } });
      const peer = await peers.create({ width: 320, height: 240 });
      await peer.connectTo(c, ep, sid);
      calls.push({ ep, peer });
    }
    for (const { peer } of calls) await until(async () => (await peer.received()).frames > 15, 15_000, 'frames back at each peer');
    const candidates = c.events.filter((e) => e.params?.value.type === 'IceCandidateFound')
      .map((e) => String((e.params!.value.data.candidate as { candidate: string }).candidate))
      .filter((s) => / udp .* typ host/.test(s));
    assert.ok(candidates.length >= 2, candidates.join('\n'));
    assert.ok(candidates.every((s) => s.split(' ')[5] === String(port)), `every host candidate on port ${port}:\n${candidates.join('\n')}`);
    const sockets = await workerSockets(fluo.server);
    assert.ok(sockets.filter((s) => s.startsWith('UDP')).length <= 2, `one UDP socket per address family, not per endpoint: ${sockets.join(', ')}`);

    const before = (await fluo.server.media.mediaStats(1000))[0]!.stats.counters.droppedUnknownAddress;
    const stranger = dgram.createSocket('udp4');
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => stranger.send(Buffer.from([0x80, 0x60, 0, i, 1, 2, 3, 4, 5, 6, 7, 8]), port, '127.0.0.1', () => r()));
    stranger.close();
    await until(async () => (await fluo.server.media.mediaStats(1000))[0]!.stats.counters.droppedUnknownAddress >= before + 5, 5_000, 'the stranger\'s datagrams counted');
    for (const { peer } of calls) assert.ok((await peer.received()).frames > 15, 'the calls go on');

    await v('release', { object: P });
    for (const { peer } of calls) await peer.close();
    await assertWorkersIdle(fluo.server);
  } finally {
    peers.stop();
    await c.close();
    await fluo.stop();
  }
});
