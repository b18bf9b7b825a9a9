/**
 * GStreamerFilter (issue 12 §4) between a PlayerEndpoint and a libwebrtc viewer: frames
 * through the filter, filters chained raw, commands refused at create.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { until } from '../helpers/RemotePeers.ts';
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
  const children = await invoke(P, 'getChildren') as unknown[];
  assert.equal(children.length, 0, 'nothing is left of the refused filters');
  await bed.value('release', { object: P });
});
