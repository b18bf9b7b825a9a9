/**
 * A MediaPipeline bigger than one media worker (issue 14 item 6): with
 * pipelineSpreadThreshold 2 and two workers, a pipeline's third and later
 * WebRtcEndpoints go to the worker with the fewest, and each source's media crosses to
 * the other worker through one pipe, with real libwebrtc peers: every viewer decodes the
 * presenter's picture, a late viewer on the far worker gets a keyframe at once, a source
 * on the far worker can feed a sink on the home worker, a hub on the home worker mixes a
 * far participant (getGstreamerDot asking both workers for their engine graphs), data
 * channels cross, and the release or a crash of either worker, or a far worker's idle
 * stop, leaves nothing behind.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFluo, RpcClient, assertWorkersIdle } from '../helpers/fluo.ts';
import { RemotePeers, until, type RemotePeer } from '../helpers/RemotePeers.ts';
import { peerCalls, frames, type PeerCalls } from '../helpers/peerCalls.ts';
import type { FluoConfig } from '../../src/config/FluoConfig.ts';
import { parseProm } from '../helpers/promParse.ts';

const peers = new RemotePeers();
let fluo: Awaited<ReturnType<typeof startFluo>>;
let c: RpcClient;
let sid: string;
before(async () => {
  fluo = await startFluo((cfg) => ({ ...cfg, mediaWorkers: 2, pipelineSpreadThreshold: 2 }));
  c = await RpcClient.open(fluo.url);
  sid = (await c.ok('connect')).sessionId!;
});
after(async () => { peers.stop(); await c.close(); await fluo.stop(); });

const { create, connect, joined } = peerCalls(() => ({ c, sid }), peers);
const workerOf = (P: string, ep: string): number | undefined => fluo.server.media.workerOf(P, ep);

/** Runs `fn` against a Fluo of its own (two workers, `patch` on top), with a session and the peer calls bound to it. */
async function withOwnFluo(patch: (c: FluoConfig) => FluoConfig, fn: (own: Awaited<ReturnType<typeof startFluo>>, c: RpcClient, sid: string, calls: PeerCalls) => Promise<void>): Promise<void> {
  const own = await startFluo((cfg) => patch({ ...cfg, mediaWorkers: 2 }));
  const oc = await RpcClient.open(own.url);
  try {
    const osid = (await oc.ok('connect')).sessionId!;
    await fn(own, oc, osid, peerCalls(() => ({ c: oc, sid: osid }), peers));
  } finally {
    await oc.close();
    await own.stop();
  }
}

/** Packets piped between the workers, as /metrics tells (summed over workers). */
async function piped(): Promise<{ sent: number; received: number }> {
  const families = parseProm(await (await fetch(fluo.url.replace(/^ws/, 'http').replace(/\/kurento$/, '/metrics'))).text());
  const sum = (direction: string): number => families.get('fluo_piped_packets_total')!.samples
    .filter((x) => x.labels.direction === direction).reduce((a, x) => a + x.value, 0);
  return { sent: sum('sent'), received: sum('received') };
}

test('one presenter, viewers on both workers: every viewer decodes it, a late far viewer at once, a far source feeds a home sink', async () => {
  const P = await create('MediaPipeline', {});
  const presenter = await joined(P, { shade: 200 });
  const viewers: Array<{ ep: string; peer: RemotePeer }> = [];
  for (let i = 0; i < 4; i++) {
    const v = await joined(P, { recvOnly: true });
    await connect(presenter.ep, v.ep);
    viewers.push(v);
  }
  // Two endpoints on the home worker, then the worker with the fewest (the home on a tie).
  const home = workerOf(P, presenter.ep)!;
  const far = 1 - home;
  assert.deepEqual(viewers.map((v) => workerOf(P, v.ep)), [home, far, far, home]);
  assert.deepEqual(fluo.server.media.workersOf(P), [home, far]);
  await until(async () => (await Promise.all(viewers.map((v) => frames(v.peer)))).every((n) => n > 15), 20_000, 'every viewer decoding');
  for (const v of viewers) {
    const luma = (await v.peer.received()).maxLuma;
    assert.ok(Math.abs(luma - 200) < 40, `a viewer sees the presenter's picture (luma ${luma})`);
  }
  // One pipe for two far viewers: each packet crossed once.
  const p1 = await piped();
  assert.ok(p1.sent > 30 && p1.received > 30, `packets piped: ${JSON.stringify(p1)}`);
  assert.ok(p1.received <= p1.sent, `no packet crossed twice (${JSON.stringify(p1)})`);

  // A late viewer lands on the far worker (home 3, far 2): its keyframe request crosses the pipe.
  await new Promise((r) => setTimeout(r, 1000));
  const late = await joined(P, { recvOnly: true });
  assert.equal(workerOf(P, late.ep), far);
  const t0 = Date.now();
  await connect(presenter.ep, late.ep);
  await until(async () => (await frames(late.peer)) > 0, 5_000, 'late viewer first frame');
  const lateMs = Date.now() - t0;
  assert.ok(lateMs < 2000, `late far viewer's first frame after ${lateMs} ms`);
  console.log(`# late viewer on the far worker: first decoded frame ${lateMs} ms after connect`);

  // A second presenter, on the far worker, replaces the first on a home viewer.
  const other = await joined(P, { shade: 100 });
  assert.equal(workerOf(P, other.ep), home, 'home 3, far 3: the home on a tie');
  const farViewer = viewers[1]!;
  const homeViewer = viewers[0]!;
  await connect(other.ep, farViewer.ep);
  const before = await frames(homeViewer.peer);
  await connect(other.ep, homeViewer.ep);
  await until(async () => (await frames(farViewer.peer)) > 30 && (await frames(homeViewer.peer)) > before + 30, 8_000, 'frames after the switch');
  for (const v of [farViewer, homeViewer]) {
    await until(async () => { const l = (await v.peer.received()).maxLuma; return Math.abs(l - 100) < Math.abs(l - 200); }, 5_000, 'the new source is shown');
  }
  await c.ok('release', { object: P, sessionId: sid });
  for (const p of [presenter, late, other, ...viewers]) await p.peer.close();
  assert.deepEqual(fluo.server.media.workersOf(P), []);
  // Every socket, timer and pipe of the pipeline is gone from both workers.
  await assertWorkersIdle(fluo.server);
});

test('data channels cross workers both ways', async () => {
  const P = await create('MediaPipeline', {});
  const filler = await create('WebRtcEndpoint', { mediaPipeline: P });
  const a = await joined(P, { channel: 'chat', endpoint: { useDataChannels: true } });
  const b = await joined(P, { channel: 'chat', endpoint: { useDataChannels: true } });
  assert.notEqual(workerOf(P, a.ep), workerOf(P, b.ep));
  await connect(a.ep, b.ep, 'DATA');
  await connect(b.ep, a.ep, 'DATA');
  await until(() => a.peer.openChannels.has('chat') && b.peer.openChannels.has('chat'), 10_000, 'channels open');
  // The channel on Fluo's side opens a moment after the peer's: send until it arrives.
  await until(async () => { await a.peer.call('sendData', { label: 'chat', data: 'from a' }); return b.peer.messages.some((m) => m.data === 'from a'); }, 8_000, 'a -> b');
  await until(async () => { await b.peer.call('sendData', { label: 'chat', data: 'from b' }); return a.peer.messages.some((m) => m.data === 'from b'); }, 8_000, 'b -> a');
  await c.ok('release', { object: P, sessionId: sid });
  await a.peer.close(); await b.peer.close();
  void filler;
  await assertWorkersIdle(fluo.server);
});

test('a crash of the far worker costs the whole pipeline (Error on every element) and leaves the home worker clean', async () => {
  const P = await create('MediaPipeline', {});
  const presenter = await joined(P, { shade: 200 });
  await create('WebRtcEndpoint', { mediaPipeline: P });
  const viewer = await joined(P, { recvOnly: true });
  const home = workerOf(P, presenter.ep)!;
  assert.equal(workerOf(P, viewer.ep), 1 - home);
  await connect(presenter.ep, viewer.ep);
  await until(async () => (await frames(viewer.peer)) > 5, 15_000, 'viewer decoding');
  await c.ok('subscribe', { object: presenter.ep, type: 'Error', sessionId: sid });
  await fluo.server.media.crashWorkerOf(P, viewer.ep);
  const ev = await c.waitEvent((e) => e.params?.value.object === presenter.ep && e.params.value.type === 'Error', 5_000);
  assert.equal(ev.params!.value.data.type, 'MEDIA_WORKER_CRASHED');
  assert.deepEqual(fluo.server.media.workersOf(P), []);
  await presenter.peer.close(); await viewer.peer.close();
  // The home worker released its part (the presenter's sockets, the pipe's end).
  await assertWorkersIdle(fluo.server);
  // And the server goes on: a new spread pipeline works on a fresh far worker.
  const Q = await create('MediaPipeline', {});
  const eps = [await create('WebRtcEndpoint', { mediaPipeline: Q }), await create('WebRtcEndpoint', { mediaPipeline: Q }), await create('WebRtcEndpoint', { mediaPipeline: Q })];
  assert.equal(new Set(eps.map((e) => workerOf(Q, e))).size, 2);
  for (const e of eps) assert.match((await c.ok('invoke', { object: e, operation: 'generateOffer', sessionId: sid })).value as string, /^v=0/);
  await c.ok('release', { object: P, sessionId: sid });
  await c.ok('release', { object: Q, sessionId: sid });
  await assertWorkersIdle(fluo.server);
});

test('a far worker that went idle and stopped is started again with a new channel, and media crosses it', () =>
  withOwnFluo((cfg) => ({ ...cfg, pipelineSpreadThreshold: 1, mediaWorkersWarm: false }), async (cold, cc, csid, calls) => {
    cold.server.media.idleTimeoutMs = 200;
    const P = await calls.create('MediaPipeline', {});
    const presenter = await calls.joined(P, { shade: 200 });
    const first = await calls.joined(P, { recvOnly: true });
    const home = cold.server.media.workerOf(P, presenter.ep)!;
    assert.equal(cold.server.media.workerOf(P, first.ep), 1 - home);
    await calls.connect(presenter.ep, first.ep);
    await until(async () => (await frames(first.peer)) > 5, 15_000, 'the first far viewer decoding');
    await cc.ok('release', { object: first.ep, sessionId: csid });
    await first.peer.close();
    // Its last node gone, the far worker holds no part of the pipeline, goes idle and stops.
    assert.deepEqual(cold.server.media.workersOf(P), [home]);
    await until(() => cold.server.media.running === 1, 5_000, 'the far worker stopped');
    const second = await calls.joined(P, { recvOnly: true });
    assert.equal(cold.server.media.workerOf(P, second.ep), 1 - home);
    await calls.connect(presenter.ep, second.ep);
    await until(async () => (await frames(second.peer)) > 5, 15_000, 'a far viewer on the restarted worker decoding');
    await cc.ok('release', { object: P, sessionId: csid });
    await presenter.peer.close(); await second.peer.close();
    await assertWorkersIdle(cold.server);
  }));

// A Fluo of its own: the engine process the hub starts stays warm in the home worker.
test('a Composite on the home worker mixes a far participant in and sends the mix back to it', () =>
  withOwnFluo((cfg) => ({ ...cfg, pipelineSpreadThreshold: 2 }), async (own, oc, osid, calls) => {
    const P = await calls.create('MediaPipeline', {});
    const hub = await calls.create('Composite', { mediaPipeline: P, width: 320, height: 240, framerate: 15 });
    const people: Array<{ ep: string; peer: RemotePeer }> = [];
    for (const shade of [220, 150, 90]) {
      const p = await calls.joined(P, { shade });
      const port = await calls.create('HubPort', { hub });
      await calls.connect(p.ep, port);
      await calls.connect(port, p.ep);
      people.push(p);
    }
    const home = own.server.media.workerOf(P, people[0]!.ep)!;
    assert.deepEqual(people.map((p) => own.server.media.workerOf(P, p.ep)), [home, home, 1 - home], 'the third participant is on the other worker; the hub and its ports stay home');
    await until(async () => (await Promise.all(people.map((p) => p.peer.received()))).every((r) => r.frames > 20), 30_000, 'every participant decoding the mix');
    for (const p of people) {
      const r = await p.peer.received();
      assert.deepEqual([r.width, r.height], [320, 240], "the composite's picture");
    }
    // getGstreamerDot asks both workers; only the home one's engine holds a part (the
    // hub), so the DOT has one engine cluster, the home worker's.
    const engines = await own.server.media.dot(P);
    assert.deepEqual(engines.map((e) => e.worker), [home]);
    const dot = (await oc.ok('invoke', { object: P, operation: 'getGstreamerDot', operationParams: {}, sessionId: osid })).value as string;
    assert.equal(dot.match(/subgraph cluster_media_engine/g)?.length, 1);
    assert.match(dot, /compositor/i);
    await oc.ok('release', { object: P, sessionId: osid });
    for (const p of people) await p.peer.close();
    // The engine process stays warm for the next pipeline; it holds nothing of this one.
    await until(async () => (await own.server.media.engineStats()).every((e) => e.bins === 0 && e.pipelines === 0), 5_000, 'no engine bin left');
    assert.deepEqual(own.server.media.workersOf(P), []);
  }));
