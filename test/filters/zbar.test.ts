/**
 * ZBarFilter (filters.kmd) between a PlayerEndpoint and a libwebrtc viewer: CodeFound
 * once per code that comes into view, with zbar's type and the exact text; the video
 * keeps flowing through the filter at its frame rate.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { until } from '../helpers/RemotePeers.ts';
import { machineOverloaded } from '../helpers/hostile.ts';
import { PlayerBed } from '../helpers/playerBed.ts';
import { qrClip } from '../helpers/scenes.ts';

const bed = new PlayerBed();
const { create, invoke, subscribe, eventsOf, frames } = bed;
// ASCII: zbar decodes a QR code's 8-bit text without an ECI header by guessing its
// charset, and takes UTF-8 'ü' for Shift-JIS (as Kurento, which runs the same zbar).
const ALPHA = 'https://fluo.example/qr/alpha?x=1&y=%C3%BC#top';
const BRAVO = 'second code: bravo';
let clip: string;

before(async () => {
  // A: 0.5-5 s, still; B: 6-8 s; A again, after 5 s out of view (zbar's cache forgets
  // after about 2 s, the filter's repeat guard after 3 s): 10-11.5 s.
  clip = qrClip(bed.dir, 'qr', 12, [{ text: ALPHA, from: 0.5, to: 5 }, { text: BRAVO, from: 6, to: 8 }, { text: ALPHA, from: 10, to: 11.5 }]);
  await bed.start();
});
after(() => bed.stop());

test('player -> ZBarFilter -> viewer: one CodeFound per code coming into view, exact value, frames keep their rate', async () => {
  const P = await create('MediaPipeline', {});
  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(clip).href });
  const zbar = await create('ZBarFilter', { mediaPipeline: P });
  await subscribe(zbar, 'CodeFound', 'Error');
  await subscribe(player, 'EndOfStream');
  const ep = await create('WebRtcEndpoint', { mediaPipeline: P });
  await invoke(player, 'connect', { sink: zbar });
  await invoke(zbar, 'connect', { sink: ep });
  const viewer = await bed.peers.create({ recvOnly: true });
  await viewer.connectTo(bed.c, ep, bed.sid);
  await invoke(player, 'play');
  await until(() => eventsOf(zbar, 'CodeFound').length >= 1, 10_000, 'the first code');
  const first = eventsOf(zbar, 'CodeFound')[0]!;
  assert.equal(first.data.codeType, 'QR-Code');
  assert.equal(first.data.value, ALPHA);
  // The frame rate through the filter while zbar reports: a 3 s window of the 30 fps clip.
  const f0 = await frames(viewer);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 3000));
  const fps = ((await frames(viewer)) - f0) / ((performance.now() - t0) / 1000);
  console.log(`# viewer frame rate through ZBarFilter: ${fps.toFixed(1)} fps`);
  // A rate bound means nothing while other suites overload the machine (hostile.ts).
  const load = machineOverloaded();
  if (load !== undefined) console.log(`# load average ${load.toFixed(1)}: the frame rate is not checked`);
  else assert.ok(fps >= 15, `the viewer gets ${fps.toFixed(1)} fps from a 30 fps clip`);
  assert.equal(eventsOf(zbar, 'CodeFound').length, 1, 'the still code is not raised again');
  await until(() => eventsOf(zbar, 'CodeFound').length >= 2, 10_000, 'the second code');
  await until(() => eventsOf(player, 'EndOfStream').length > 0, 10_000, 'the end of the clip');
  const found = eventsOf(zbar, 'CodeFound').map((e) => ({ codeType: e.data.codeType, value: e.data.value }));
  // A code that left the picture and comes back is a new sighting (zbar's cache forgets it too).
  assert.deepEqual(found, [{ codeType: 'QR-Code', value: ALPHA }, { codeType: 'QR-Code', value: BRAVO }, { codeType: 'QR-Code', value: ALPHA }]);
  assert.deepEqual(eventsOf(zbar, 'Error'), []);
  await bed.value('release', { object: P });
  await viewer.close();
});
