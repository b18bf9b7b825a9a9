/**
 * FaceOverlayFilter end to end: PlayerEndpoint (the astronaut portrait) ->
 * FaceOverlayFilter -> WebRtcEndpoint (libwebrtc viewer) and -> RtpEndpoint, whose VP8
 * is decoded (frameGrab) to check the pixels a viewer sees: the image over the face,
 * placed in face units (the Magic Mirror's hat above the head), nowhere else; nothing
 * on a picture without a face; nothing after unsetOverlayedImage.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { until } from '../helpers/RemotePeers.ts';
import { PlayerBed } from '../helpers/playerBed.ts';
import { faceScene } from '../helpers/filterMedia.ts';
import type { Rect } from '../helpers/pixels.ts';
import { ballClip, CYAN, faceIn, inset, MAGENTA, playingThrough, share, shareOutside, solidPng, stopPlaying } from './overlayMedia.ts';
import { grabFrames } from '../helpers/frameGrab.ts';

const bed = new PlayerBed();
const { invoke, eventsOf, frames } = bed;
let faceClip: string;
let noFaceClip: string;
let face: Rect;
let magenta: string;
let cyan: string;

before(async () => {
  const scene = faceScene(bed.dir, 30);
  faceClip = scene.webm;
  // Where the filter's LBP cascade finds the face (the scene's own box is the Haar cascade's).
  face = faceIn(scene.picture);
  noFaceClip = ballClip(bed.dir, 20);
  magenta = solidPng(bed.dir, 'magenta', '0xff00ff', 64, 64);
  cyan = solidPng(bed.dir, 'cyan', '0x00ffff', 64, 64);
  await bed.start();
});
after(() => bed.stop());

/** Where setOverlayedImage(offsetX, offsetY, width, height) puts the image for `f` (face units, Y down). */
function placed(f: Rect, ox: number, oy: number, w: number, h: number): Rect {
  return { x: f.x + ox * f.width, y: f.y + oy * f.height, width: w * f.width, height: h * f.height };
}

test('the image covers the face, then sits above it as the Magic Mirror hat, and goes with unsetOverlayedImage', async () => {
  assert.ok(face.width > 80, `the face is large enough to check: ${JSON.stringify(face)}`);
  const run = await playingThrough(bed, 'FaceOverlayFilter', faceClip);
  const { filter, grab } = run;
  assert.ok(shareOutside(grab.latestFrame()!, [], 0, MAGENTA) < 0.001, 'no overlay before an image is set');
  // The scene drifts by 4 px and detection boxes wobble: look inside and outside with a margin.
  const margin = Math.round(face.width * 0.12);

  await invoke(filter, 'setOverlayedImage', { uri: pathToFileURL(magenta).href, offsetXPercent: 0, offsetYPercent: 0, widthPercent: 1, heightPercent: 1 });
  const covered = await grab.waitFor((f) => share(f, inset(face, margin), MAGENTA) > 0.95, 15_000);
  assert.ok(shareOutside(covered, [face], margin, MAGENTA) < 0.002, 'the face is covered, nothing else');

  await invoke(filter, 'setOverlayedImage', { uri: pathToFileURL(magenta).href, offsetXPercent: -0.35, offsetYPercent: -1.2, widthPercent: 1.6, heightPercent: 1.6 });
  const hat = placed(face, -0.35, -1.2, 1.6, 1.6);
  const hatted = await grab.waitFor((f) => share(f, inset(hat, margin), MAGENTA) > 0.95);
  const belowHat = { x: face.x, y: hat.y + hat.height + margin, width: face.width, height: face.y + face.height - (hat.y + hat.height) - margin };
  assert.ok(share(hatted, belowHat, MAGENTA) < 0.01, 'the lower face is left visible');
  assert.ok(shareOutside(hatted, [hat], margin, MAGENTA) < 0.002, 'the hat (cut at the top edge), nothing else');

  await invoke(filter, 'unsetOverlayedImage');
  await grab.waitFor((f) => shareOutside(f, [], 0, MAGENTA) < 0.001);
  assert.deepEqual(eventsOf(filter, 'Error'), []);
  await stopPlaying(bed, run);
});

test('no face, no overlay; a bad URI is refused while frames flow', async () => {
  const run = await playingThrough(bed, 'FaceOverlayFilter', noFaceClip);
  const { filter, viewer, grab } = run;
  const bad = await bed.request(filter, 'setOverlayedImage', { uri: 'http://127.0.0.1:9/hat.png', offsetXPercent: 0, offsetYPercent: 0, widthPercent: 1, heightPercent: 1 });
  assert.equal(bad.error?.code, 40600);
  assert.match(String(bad.error?.message), /cannot fetch http:\/\/127\.0\.0\.1:9\/hat\.png: ECONNREFUSED/);
  const before = await frames(viewer);
  await until(async () => (await frames(viewer)) > before + 5, 10_000, 'frames after the refusal');
  await invoke(filter, 'setOverlayedImage', { uri: pathToFileURL(magenta).href, offsetXPercent: 0, offsetYPercent: 0, widthPercent: 1, heightPercent: 1 });
  // Two seconds of frames (10 a second) with the image set: none has it.
  const seen = grab.count;
  await until(async () => grab.count > seen + 20, 10_000, 'frames with the image set');
  for (const f of grab.frames.slice(-20)) assert.ok(shareOutside(f, [], 0, MAGENTA) < 0.001, 'nothing drawn where no face is');
  assert.deepEqual(eventsOf(filter, 'Error'), []);
  await stopPlaying(bed, run);
});

test('a chain, FaceOverlayFilter -> ImageOverlayFilter -> viewer: both overlays in one picture, decoded once and encoded once', async () => {
  const P = await bed.create('MediaPipeline', {});
  const player = await bed.create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(faceClip).href });
  const faces = await bed.create('FaceOverlayFilter', { mediaPipeline: P });
  const images = await bed.create('ImageOverlayFilter', { mediaPipeline: P });
  for (const f of [faces, images]) await bed.subscribe(f, 'Error');
  const ep = await bed.create('WebRtcEndpoint', { mediaPipeline: P });
  await bed.invoke(player, 'connect', { sink: faces });
  await bed.invoke(faces, 'connect', { sink: images });
  await bed.invoke(images, 'connect', { sink: ep });
  const viewer = await bed.peers.create({ recvOnly: true });
  await viewer.connectTo(bed.c, ep, bed.sid);
  const grab = await grabFrames(bed, P, images);
  await invoke(faces, 'setOverlayedImage', { uri: pathToFileURL(magenta).href, offsetXPercent: 0, offsetYPercent: 0, widthPercent: 1, heightPercent: 1 });
  await invoke(images, 'addImage', { id: 'corner', uri: pathToFileURL(cyan).href, offsetXPercent: 0, offsetYPercent: 0, widthPercent: 0.2, heightPercent: 0.2, keepAspectRatio: false, center: false });
  await bed.invoke(player, 'play');
  await until(async () => (await frames(viewer)) > 10, 15_000, 'frames at the viewer');
  const margin = Math.round(face.width * 0.12);
  const corner = { x: 0, y: 0, width: 128, height: 96 };
  const both = await grab.waitFor((f) => share(f, inset(face, margin), MAGENTA) > 0.95 && share(f, inset(corner, 8), CYAN) > 0.95, 15_000);
  assert.ok(shareOutside(both, [face, corner], margin, MAGENTA) < 0.002 && shareOutside(both, [face, corner], margin, CYAN) < 0.002, 'each overlay where it belongs, nothing else');
  // Raw frames pass between the two filters: one VP8 decoder in, one VP8 encoder out.
  const dot = String(await invoke(P, 'getGstreamerDot'));
  assert.equal(dot.match(/GstVP8Dec/g)?.length ?? 0, 1, 'the chain decodes once');
  assert.equal(dot.match(/GstVP8Enc/g)?.length ?? 0, 1, 'the chain encodes once');
  assert.deepEqual([...eventsOf(faces, 'Error'), ...eventsOf(images, 'Error')], []);
  grab.stop();
  await bed.value('release', { object: P });
  await viewer.close();
});
