/**
 * DispatcherOneToMany and Dispatcher with real libwebrtc peers: two publishers into a
 * DispatcherOneToMany, two viewers that keep decoding across setSource switches (no
 * freeze, one inbound video stream, the new picture within 1 s); the awaited-object
 * form of a reference; wrong ports refused without disturbing anything; releasing the
 * hub releases its ports and leaves the worker idle.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertWorkersIdle } from '../helpers/fluo.ts';
import { until, type RemotePeer } from '../helpers/RemotePeers.ts';
import { hubBed, create as createIn, invoke as invokeOn, refused as refusedBy, joined as joinedIn, nearer } from './hubBed.ts';

const bed = hubBed();
const create = (type: string, params: Record<string, unknown>) => createIn(bed, type, params);
const invoke = (object: string, operation: string, params: Record<string, unknown> = {}) => invokeOn(bed, object, operation, params);
const refused = (object: string, operation: string, params: Record<string, unknown>) => refusedBy(bed, object, operation, params);
const connect = (src: string, sink: string) => invoke(src, 'connect', { sink });
const joined = (P: string, opts: { recvOnly?: boolean; shade?: number } = {}) => joinedIn(bed, P, opts);
const received = (p: RemotePeer) => p.received();

/** The viewer's inbound video streams (libwebrtc stats): a new SSRC would show as a second one. */
async function inboundVideo(p: RemotePeer): Promise<Array<Record<string, unknown>>> {
  return ((await p.call('stats')) as Array<Record<string, unknown>>).filter((s) => s.type === 'inbound-rtp' && (s.kind ?? s.mediaType) === 'video');
}

test('DispatcherOneToMany: viewers keep decoding one stream across source switches, the new source within 1 s', async () => {
  const P = await create('MediaPipeline', {});
  const hub = await create('DispatcherOneToMany', { mediaPipeline: P });
  const a = await joined(P, { shade: 220 });
  const b = await joined(P, { shade: 90 });
  const viewers = [await joined(P, { recvOnly: true }), await joined(P, { recvOnly: true })];
  const ports = new Map<string, string>();
  for (const x of [a, b, ...viewers]) {
    const port = await create('HubPort', { hub });
    ports.set(x.ep, port);
    await connect(x.ep, port);
    await connect(port, x.ep);
  }
  assert.equal((await invoke(ports.get(a.ep)!, 'getParent')).value, hub);
  // kurento-client's promise form sends the awaited port whole, with its id.
  await invoke(hub, 'setSource', { source: { id: ports.get(a.ep), name: 'port A', __module__: 'kurento', __type__: 'HubPort' } });
  await until(async () => (await Promise.all(viewers.map((v) => received(v.peer)))).every((r) => r.frames > 20 && nearer(r.maxLuma, 220, 90)), 20_000, 'viewers decoding A');
  assert.ok(nearer((await received(b.peer)).maxLuma, 220, 90) && (await received(b.peer)).frames > 0, 'B, not the source, sees A');
  assert.equal((await received(a.peer)).frames, 0, 'the source does not receive itself');

  const switchMs: number[] = [];
  for (const [to, shade, other] of [[b, 90, 220], [a, 220, 90], [b, 90, 220]] as const) {
    const t0 = Date.now();
    await invoke(hub, 'setSource', { source: ports.get(to.ep) });
    // Frames keep coming through the switch (sampled every 100 ms, no gap of 500 ms)...
    let last = await Promise.all(viewers.map(async (v) => ({ n: (await received(v.peer)).frames, at: Date.now() })));
    let shown = false;
    while (Date.now() - t0 < 2000) {
      await new Promise((r) => setTimeout(r, 100));
      const now = await Promise.all(viewers.map((v) => received(v.peer)));
      now.forEach((r, i) => {
        if (r.frames > last[i]!.n) last[i] = { n: r.frames, at: Date.now() };
        assert.ok(Date.now() - last[i]!.at < 500, `viewer ${i} froze for ${Date.now() - last[i]!.at} ms during the switch`);
      });
      if (!shown && now.every((r) => nearer(r.maxLuma, shade, other))) {
        shown = true;
        switchMs.push(Date.now() - t0);
      }
    }
    assert.ok(shown, `the new source (shade ${shade}) is shown`);
  }
  console.log(`# setSource to the new picture at both viewers: ${switchMs.join(', ')} ms`);
  assert.ok(switchMs.every((ms) => ms <= 1000), `switches within 1 s: ${switchMs.join(', ')} ms`);
  for (const v of viewers) {
    const inbound = await inboundVideo(v.peer);
    assert.equal(inbound.length, 1, 'one inbound video stream at the viewer: no new SSRC');
    console.log(`# viewer: framesDecoded ${String(inbound[0]!.framesDecoded)} keyFramesDecoded ${String(inbound[0]!.keyFramesDecoded)} pliCount ${String(inbound[0]!.pliCount)} freezeCount ${String(inbound[0]!.freezeCount)}`);
  }

  // Wrong ports: refused, nothing disturbed.
  const hub2 = await create('DispatcherOneToMany', { mediaPipeline: P });
  const foreign = await create('HubPort', { hub: hub2 });
  const P2 = await create('MediaPipeline', {});
  const hub3 = await create('Dispatcher', { mediaPipeline: P2 });
  const elsewhere = await create('HubPort', { hub: hub3 });
  for (const port of [foreign, elsewhere]) {
    const error = await refused(hub, 'setSource', { source: port });
    assert.equal(error?.code, 40107, JSON.stringify(error));
    assert.match(String(error?.message), /belongs to (another hub|a hub of another pipeline)/);
  }
  const before = await Promise.all(viewers.map(async (v) => (await received(v.peer)).frames));
  await until(async () => (await Promise.all(viewers.map(async (v) => (await received(v.peer)).frames))).every((n, i) => n > before[i]! + 10), 5_000, 'viewers still decoding B');
  assert.ok(nearer((await received(viewers[0]!.peer)).maxLuma, 90, 220));

  // removeSource: the viewers' pictures stop.
  await invoke(hub, 'removeSource');
  await new Promise((r) => setTimeout(r, 500));
  const stopped = (await received(viewers[0]!.peer)).frames;
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok((await received(viewers[0]!.peer)).frames - stopped <= 2, 'no picture after removeSource');

  // Releasing the hub releases its ports.
  await bed.c.ok('release', { object: hub, sessionId: bed.sid });
  for (const port of ports.values()) {
    assert.equal((await refused(port, 'getParent', {}))?.code, 40101, 'the port went with its hub');
  }
  await bed.c.ok('release', { object: P, sessionId: bed.sid });
  await bed.c.ok('release', { object: P2, sessionId: bed.sid });
  for (const x of [a, b, ...viewers]) await x.peer.close();
  await assertWorkersIdle(bed.fluo.server);
});

test('Dispatcher: two publishers see each other through port pairs, without transcoding', async () => {
  const P = await create('MediaPipeline', {});
  const hub = await create('Dispatcher', { mediaPipeline: P });
  const a = await joined(P, { shade: 220 });
  const b = await joined(P, { shade: 90 });
  const pa = await create('HubPort', { hub });
  const pb = await create('HubPort', { hub });
  for (const [ep, port] of [[a.ep, pa], [b.ep, pb]] as const) { await connect(ep, port); await connect(port, ep); }
  await invoke(hub, 'connect', { source: pa, sink: pb });
  await invoke(hub, 'connect', { source: pb, sink: pa });
  await until(async () => (await received(a.peer)).frames > 20 && (await received(b.peer)).frames > 20, 15_000, 'frames both ways');
  assert.ok(nearer((await received(a.peer)).maxLuma, 90, 220), 'A sees B');
  assert.ok(nearer((await received(b.peer)).maxLuma, 220, 90), 'B sees A');
  assert.equal((await refused(hub, 'connect', { source: pa, sink: pa }))?.code, 40107);
  for (const port of [pa, pb]) assert.equal((await invoke(port, 'isMediaTranscoding', { mediaType: 'VIDEO' })).value, false);
  const stats = await bed.fluo.server.media.engineStats();
  assert.ok(stats.every((p) => p.bins === 0), 'routing never touched the engine');
  await bed.c.ok('release', { object: P, sessionId: bed.sid });
  await a.peer.close(); await b.peer.close();
  await assertWorkersIdle(bed.fluo.server);
});
