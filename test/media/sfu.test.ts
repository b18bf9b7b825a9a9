import { readFileSync } from 'node:fs';
/**
 * Forwarding between elements with real libwebrtc peers: one-to-one, one presenter to
 * ten viewers, a late viewer, switching the source of a sink, a data-channel echo, and
 * a crashed media worker costing only its pipelines.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFluo, RpcClient, assertWorkersIdle } from '../helpers/fluo.ts';
import { RemotePeers, until, type RemotePeer } from '../helpers/RemotePeers.ts';
import { peerCalls, frames } from '../helpers/peerCalls.ts';

const peers = new RemotePeers();
let fluo: Awaited<ReturnType<typeof startFluo>>;
let c: RpcClient;
let sid: string;
before(async () => {
  fluo = await startFluo();
  c = await RpcClient.open(fluo.url);
  sid = (await c.ok('connect')).sessionId!;
});
after(async () => { peers.stop(); await c.close(); await fluo.stop(); });

const { create, connect, joined } = peerCalls(() => ({ c, sid }), peers);
test('one-to-one: two peers see each other', async () => {
  const P = await create('MediaPipeline', {});
  const a = await create('WebRtcEndpoint', { mediaPipeline: P });
  const b = await create('WebRtcEndpoint', { mediaPipeline: P });
  await connect(a, b);
  await connect(b, a);
  const pa = await peers.create({ shade: 200 });
  const pb = await peers.create({ shade: 120 });
  await pa.connectTo(c, a, sid);
  await pb.connectTo(c, b, sid);
  await until(async () => (await frames(pa)) > 20 && (await frames(pb)) > 20, 15_000, 'frames both ways');
  // Each side sees the other's picture, not its own: its bars' brightness is nearer the
  // other's shade (VP8 ringing at REMB's starting 300 kbps can overshoot a shade by ~30).
  const nearer = (luma: number, want: number, other: number): boolean => Math.abs(luma - want) < Math.abs(luma - other);
  assert.ok(nearer((await pa.received()).maxLuma, 120, 200), `A sees B (${(await pa.received()).maxLuma})`);
  assert.ok(nearer((await pb.received()).maxLuma, 200, 120), `B sees A (${(await pb.received()).maxLuma})`);
  await c.ok('release', { object: P, sessionId: sid });
  await pa.close(); await pb.close();
});

/** UDP sockets open in this network namespace (Fluo's workers and the peers), from /proc/net. */
function udpSockets(): number {
  return ['/proc/net/udp', '/proc/net/udp6']
    .map((f) => { try { return readFileSync(f, 'utf8').trim().split('\n').length - 1; } catch { return 0; } })
    .reduce((a, b) => a + b, 0);
}

test('one presenter to ten viewers; a late viewer sees a picture within 2 s; source switch keeps decoding', async () => {
  const socketsBefore = udpSockets();
  const P = await create('MediaPipeline', {});
  const presenter = await joined(P, { shade: 200 });
  const viewers: Array<{ ep: string; peer: RemotePeer }> = [];
  for (let i = 0; i < 10; i++) {
    const v = await joined(P, { recvOnly: true, endpoint: { recvonly: false } });
    await connect(presenter.ep, v.ep);
    viewers.push(v);
  }
  await until(async () => (await Promise.all(viewers.map((v) => frames(v.peer)))).every((n) => n > 15), 20_000, 'every viewer decoding');
  // Late viewer: keyframe requested for it as it joins.
  await new Promise((r) => setTimeout(r, 1000));
  const late = await joined(P, { recvOnly: true });
  const t0 = Date.now();
  await connect(presenter.ep, late.ep);
  await until(async () => (await frames(late.peer)) > 0, 5_000, 'late viewer first frame');
  const lateMs = Date.now() - t0;
  assert.ok(lateMs < 2000, `late viewer's first frame after ${lateMs} ms`);
  console.log(`# late viewer: first decoded frame ${lateMs} ms after connect`);
  // Source switch on a sink: a second presenter replaces the first on viewer 0.
  const other = await joined(P, { shade: 100 });
  const before = await frames(viewers[0]!.peer);
  await connect(other.ep, viewers[0]!.ep);
  await until(async () => (await frames(viewers[0]!.peer)) > before + 30, 8_000, 'frames after the switch');
  await until(async () => { const l = (await viewers[0]!.peer.received()).maxLuma; return Math.abs(l - 100) < Math.abs(l - 200); }, 5_000, 'the new source is shown');
  // Thirteen sinks asked for keyframes; the presenter's peer got them rate-limited.
  const st = (await c.ok('invoke', { object: presenter.ep, operation: 'getStats', sessionId: sid })).value as Record<string, Record<string, unknown>>;
  const kf = st[presenter.ep]!;
  assert.ok(Number(kf.keyframeRequestsSent) >= 1 && Number(kf.keyframeRequestsCoalesced) >= 1, `keyframe requests sent/coalesced: ${String(kf.keyframeRequestsSent)}/${String(kf.keyframeRequestsCoalesced)}`);
  const socketsDuring = udpSockets();
  assert.ok(socketsDuring >= socketsBefore + 26, `13 endpoints and their peers hold sockets (${socketsBefore} -> ${socketsDuring})`);
  await c.ok('release', { object: P, sessionId: sid });
  for (const p of [presenter, late, other, ...viewers]) await p.peer.close();
  // Releasing the pipeline closed every ICE socket of its 13 endpoints in the worker.
  await until(() => udpSockets() <= socketsBefore, 5_000, `UDP sockets back to ${socketsBefore} (now ${udpSockets()})`);
  // No TCP listener, timer or socket of theirs is left in the worker either.
  await assertWorkersIdle(fluo.server);
});

test('data channels: text sent by the peer comes back over a loopback DATA connection', async () => {
  const P = await create('MediaPipeline', {});
  const ep = await create('WebRtcEndpoint', { mediaPipeline: P, useDataChannels: true });
  await c.ok('subscribe', { object: ep, type: 'DataChannelOpened', sessionId: sid });
  await connect(ep, ep);
  const peer = await peers.create();
  await peer.call('createDataChannel', { label: 'chat' });
  await peer.connectTo(c, ep, sid);
  await until(() => peer.openChannels.has('chat'), 10_000, 'channel open');
  await c.waitEvent((e) => e.params?.value.object === ep && e.params.value.type === 'DataChannelOpened', 5_000);
  for (let i = 0; i < 5; i++) await peer.call('sendData', { label: 'chat', data: `hello ${i}` });
  await until(() => peer.messages.length >= 5, 5_000, 'echoes');
  assert.deepEqual(peer.messages.map((m) => m.data), ['hello 0', 'hello 1', 'hello 2', 'hello 3', 'hello 4']);
  await c.ok('release', { object: P, sessionId: sid });
  await peer.close();
});

test('a media worker that dies costs only its pipelines (Error events); the server keeps serving', async () => {
  const P = await create('MediaPipeline', {});
  const ep = await create('WebRtcEndpoint', { mediaPipeline: P });
  await c.ok('subscribe', { object: ep, type: 'Error', sessionId: sid });
  await c.ok('invoke', { object: ep, operation: 'generateOffer', sessionId: sid });
  await fluo.server.media.crashWorkerOf(P);
  const ev = await c.waitEvent((e) => e.params?.value.object === ep && e.params.value.type === 'Error', 5_000);
  assert.equal(ev.params!.value.data.type, 'MEDIA_WORKER_CRASHED');
  // New pipelines get a fresh worker and work.
  const Q = await create('MediaPipeline', {});
  const e2 = await create('WebRtcEndpoint', { mediaPipeline: Q });
  const offer = (await c.ok('invoke', { object: e2, operation: 'generateOffer', sessionId: sid })).value as string;
  assert.match(offer, /^v=0/);
  await c.ok('release', { object: P, sessionId: sid });
  await c.ok('release', { object: Q, sessionId: sid });
});
