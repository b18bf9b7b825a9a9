/**
 * GStreamerFilter (issue 12 §4) between a PlayerEndpoint and a libwebrtc viewer: frames
 * through the filter, filters chained raw, commands refused at create.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { until } from '../helpers/RemotePeers.ts';
import { sleep } from '../helpers/fluo.ts';
import { engineChildren } from '../helpers/engine.ts';
import { probe } from '../helpers/probe.ts';
import { makeMedia, PlayerBed } from '../helpers/playerBed.ts';

const bed = new PlayerBed();
let webm: string;
const { create, invoke, subscribe, eventsOf, frames } = bed;

before(async () => {
  ({ webm } = makeMedia(bed.dir, 8, true));
  await bed.start();
});
after(() => bed.stop());

test('player -> videoflip -> gamma -> viewer: frames reach the viewer through two chained filters', async () => {
  const P = await create('MediaPipeline', {});
  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(webm).href });
  const flip = await create('GStreamerFilter', { mediaPipeline: P, command: 'videoflip method=horizontal-flip' });
  const gamma = await create('GStreamerFilter', { mediaPipeline: P, command: 'gamma gamma=1.2', filterType: 'VIDEO' });
  await subscribe(flip, 'Error', 'MediaFlowInStateChanged', 'MediaFlowOutStateChanged');
  await subscribe(gamma, 'Error', 'MediaFlowOutStateChanged');
  const ep = await create('WebRtcEndpoint', { mediaPipeline: P });
  await invoke(player, 'connect', { sink: flip });
  await invoke(flip, 'connect', { sink: gamma });
  await invoke(gamma, 'connect', { sink: ep });
  const viewer = await bed.peers.create({ recvOnly: true });
  await viewer.connectTo(bed.c, ep, bed.sid);
  await invoke(player, 'play');
  await until(async () => (await frames(viewer)) > 30, 15_000, 'frames at the viewer');
  assert.deepEqual(eventsOf(flip, 'Error'), []);
  assert.ok(eventsOf(flip, 'MediaFlowInStateChanged').some((e) => e.data.state === 'FLOWING'));
  assert.ok(eventsOf(gamma, 'MediaFlowOutStateChanged').some((e) => e.data.state === 'FLOWING'));
  assert.ok(!eventsOf(flip, 'MediaFlowOutStateChanged').some((e) => e.data.mediaType === 'VIDEO'), 'flip feeds gamma raw: it encodes no video');
  assert.ok(eventsOf(flip, 'MediaFlowOutStateChanged').some((e) => e.data.mediaType === 'AUDIO'), 'audio passes through');
  await invoke(flip, 'setElementProperty', { propertyName: 'method', propertyValue: 'vertical-flip' });
  await bed.value('release', { object: P });
  await viewer.close();
});

test('a command that does not parse, and unsafe elements, are refused at create', async () => {
  const P = await create('MediaPipeline', {});
  const bad = await bed.c.request('create', { type: 'GStreamerFilter', constructorParams: { mediaPipeline: P, command: 'nosuchelement ! videoflip' }, sessionId: bed.sid });
  assert.equal(bad.error?.code, 40107);
  assert.match(String(bad.error?.message), /nosuchelement/);
  const unsafe = await bed.c.request('create', { type: 'GStreamerFilter', constructorParams: { mediaPipeline: P, command: 'videoconvert ! filesink location=/tmp/x' }, sessionId: bed.sid });
  assert.equal(unsafe.error?.code, 40107);
  assert.match(String(unsafe.error?.message), /filesink/);
  // Unsafe elements anywhere in the fragment, not only after a `!`: a second chain
  // after a named element, a bin, a URI (gst-launch makes a file source of it).
  const target = join(bed.dir, 'must-not-exist');
  for (const command of [`videoflip name=f filesink location=${target} f.`, `videoflip ! bin.( filesink location=${target} )`, `file://${target} ! videoflip`]) {
    const r = await bed.c.request('create', { type: 'GStreamerFilter', constructorParams: { mediaPipeline: P, command }, sessionId: bed.sid });
    assert.equal(r.error?.code, 40107, command);
    assert.match(String(r.error?.message), /filesink|file:\/\//, command);
  }
  assert.equal(existsSync(target), false, 'no file was created');
  const children = await invoke(P, 'getChildren') as unknown[];
  assert.equal(children.length, 0, 'nothing is left of the refused filters');
  await bed.value('release', { object: P });
});

test('one filter feeds a recorder and a viewer at once through one encoder; the recording has the frames', async () => {
  const P = await create('MediaPipeline', {});
  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(webm).href });
  const flip = await create('GStreamerFilter', { mediaPipeline: P, command: 'videoflip video-direction=horiz' });
  const file = join(bed.dir, 'filtered.webm');
  const rec = await create('RecorderEndpoint', { mediaPipeline: P, uri: pathToFileURL(file).href, mediaProfile: 'WEBM' });
  await subscribe(rec, 'Recording', 'Error');
  const ep = await create('WebRtcEndpoint', { mediaPipeline: P });
  await invoke(player, 'connect', { sink: flip });
  await invoke(flip, 'connect', { sink: ep });
  await invoke(flip, 'connect', { sink: rec });
  const viewer = await bed.peers.create({ recvOnly: true });
  await viewer.connectTo(bed.c, ep, bed.sid);
  await invoke(rec, 'record');
  await invoke(player, 'play');
  await until(async () => (await frames(viewer)) > 60, 15_000, 'frames at the viewer');
  const dot = String(await invoke(P, 'getGstreamerDot'));
  // The engine's part of the pipeline DOT names elements by their GType.
  assert.equal(dot.match(/GstVP8Enc/g)?.length ?? 0, 1, 'the viewer and the recorder share one VP8 encoder');
  assert.equal(dot.match(/GstVP8Dec/g)?.length ?? 0, 1, 'the filter decodes once');
  await invoke(rec, 'stopAndWait');
  const p = await probe(file);
  const video = p.streams.find((s) => s.type === 'video');
  assert.equal(video?.codec, 'vp8');
  assert.ok((video?.frames ?? 0) > 30, `${video?.frames} frames recorded`);
  assert.deepEqual(eventsOf(rec, 'Error'), []);
  await bed.value('release', { object: P });
  await viewer.close();
});

test('200 filter create/connect/release cycles leave no engine bin, process or descriptor behind', async () => {
  const P = await create('MediaPipeline', {});
  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(webm).href });
  const sink = await create('PassThrough', { mediaPipeline: P });
  await invoke(player, 'play');
  const server = bed.fluo.server;
  const engineFds = (): number => engineChildren().reduce((n, pid) => n + readdirSync(`/proc/${pid}/fd`).length, 0);
  const warm = await create('GStreamerFilter', { mediaPipeline: P, command: 'videoflip video-direction=horiz' });
  await invoke(player, 'connect', { sink: warm });
  await invoke(warm, 'connect', { sink });
  await bed.value('release', { object: warm });
  await sleep(300);
  const fdsBefore = engineFds();
  const processes = engineChildren().length;
  for (let i = 0; i < 200; i++) {
    const f = await create('GStreamerFilter', { mediaPipeline: P, command: i % 2 ? 'videoflip video-direction=horiz' : 'gamma gamma=1.1' });
    await invoke(player, 'connect', { sink: f });
    await invoke(f, 'connect', { sink });
    await bed.value('release', { object: f });
  }
  await invoke(player, 'stop');
  let stats = await server.media.engineStats();
  await until(async () => (stats = await server.media.engineStats()).every((s) => s.bins === 0), 10_000, 'no engine bin left').catch(() => undefined);
  assert.deepEqual(stats.map((s) => s.bins).filter((b) => b > 0), [], `engine bins left: ${JSON.stringify(stats)}`);
  assert.equal(engineChildren().length, processes, 'no engine process added');
  // Removed elements free some descriptors when the engine collects their wrappers, shortly after.
  await until(() => engineFds() <= fdsBefore + 4, 5_000, 'engine descriptors back').catch(() => undefined);
  assert.ok(engineFds() <= fdsBefore + 4, `engine descriptors ${fdsBefore} -> ${engineFds()}`);
  await bed.value('release', { object: P });
});
