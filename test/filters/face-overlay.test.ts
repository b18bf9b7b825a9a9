/**
 * FaceOverlayFilter end to end: PlayerEndpoint (the astronaut portrait) ->
 * FaceOverlayFilter -> WebRtcEndpoint (libwebrtc viewer) and -> RecorderEndpoint, whose
 * recording is decoded to check the pixels: the image over the face, placed in face
 * units (the Magic Mirror's hat above the head), nowhere else; nothing on a picture
 * without a face; nothing after unsetOverlayedImage.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { until } from '../helpers/RemotePeers.ts';
import { PlayerBed } from '../helpers/playerBed.ts';
import { astronautPng, ballClip, faceIn, firstFramePng, inset, isMagenta, playingThrough, share, snapshot, shareOutside, solidPng, stillClip, type Rect } from './overlayMedia.ts';

const bed = new PlayerBed();
const { invoke, eventsOf, frames } = bed;
let faceClip: string;
let noFaceClip: string;
let face: Rect;
let magenta: string;

before(async () => {
  // The astronaut's face, large and frontal (a 320x240 crop of the 512x512 portrait, doubled).
  faceClip = stillClip(bed.dir, 'face', astronautPng(), '320:240:60:4', 40);
  face = faceIn(firstFramePng(faceClip, join(bed.dir, 'face.png')));
  noFaceClip = ballClip(bed.dir, 20);
  magenta = solidPng(bed.dir, 'magenta', '0xff00ff', 64, 64);
  await bed.start();
});
after(() => bed.stop());



/** Where setOverlayedImage(offsetX, offsetY, width, height) puts the image for `f` (face units, Y down). */
function placed(f: Rect, ox: number, oy: number, w: number, h: number): Rect {
  return { x: f.x + ox * f.width, y: f.y + oy * f.height, width: w * f.width, height: h * f.height };
}

test('the image covers the face, then sits above it as the Magic Mirror hat, and goes with unsetOverlayedImage', async () => {
  assert.ok(face.width > 80, `the face is large enough to check: ${JSON.stringify(face)}`);
  const { P, filter, viewer } = await playingThrough(bed, 'FaceOverlayFilter', faceClip);
  const plain = await snapshot(bed, P, filter, 'plain');
  assert.ok(shareOutside(plain, [], 0, isMagenta) < 0.001, 'no overlay before an image is set');

  await invoke(filter, 'setOverlayedImage', { uri: pathToFileURL(magenta).href, offsetXPercent: 0, offsetYPercent: 0, widthPercent: 1, heightPercent: 1 });
  const covered = await snapshot(bed, P, filter, 'covered');
  // The detection box moves by a few pixels from frame to frame: look inside and outside with a margin.
  const margin = Math.round(face.width * 0.12);
  assert.ok(share(covered, inset(face, margin), isMagenta) > 0.95, `the face ${JSON.stringify(face)} is covered: ${share(covered, inset(face, margin), isMagenta)}`);
  assert.ok(shareOutside(covered, [face], margin, isMagenta) < 0.002, 'and nothing else');

  await invoke(filter, 'setOverlayedImage', { uri: pathToFileURL(magenta).href, offsetXPercent: -0.35, offsetYPercent: -1.2, widthPercent: 1.6, heightPercent: 1.6 });
  const hat = placed(face, -0.35, -1.2, 1.6, 1.6);
  const hatted = await snapshot(bed, P, filter, 'hat');
  assert.ok(share(hatted, inset(hat, margin), isMagenta) > 0.95, `the hat ${JSON.stringify(hat)} is drawn (cut at the top edge): ${share(hatted, inset(hat, margin), isMagenta)}`);
  const belowHat = { x: face.x, y: hat.y + hat.height + margin, width: face.width, height: face.y + face.height - (hat.y + hat.height) - margin };
  assert.ok(share(hatted, belowHat, isMagenta) < 0.01, 'the lower face is left visible');
  assert.ok(shareOutside(hatted, [hat], margin, isMagenta) < 0.002, 'and nothing else');

  await invoke(filter, 'unsetOverlayedImage');
  const after = await snapshot(bed, P, filter, 'unset');
  assert.ok(shareOutside(after, [], 0, isMagenta) < 0.001, 'no overlay once unset');
  assert.deepEqual(eventsOf(filter, 'Error'), []);
  await bed.value('release', { object: P });
  await viewer.close();
});

test('no face, no overlay; a bad URI is refused while frames flow', async () => {
  const { P, filter, viewer } = await playingThrough(bed, 'FaceOverlayFilter', noFaceClip);
  const bad = await bed.request(filter, 'setOverlayedImage', { uri: 'http://127.0.0.1:9/hat.png', offsetXPercent: 0, offsetYPercent: 0, widthPercent: 1, heightPercent: 1 });
  assert.equal(bad.error?.code, 40600);
  assert.match(String(bad.error?.message), /cannot fetch http:\/\/127\.0\.0\.1:9\/hat\.png: ECONNREFUSED/);
  const before = await frames(viewer);
  await until(async () => (await frames(viewer)) > before + 5, 10_000, 'frames after the refusal');
  await invoke(filter, 'setOverlayedImage', { uri: pathToFileURL(magenta).href, offsetXPercent: 0, offsetYPercent: 0, widthPercent: 1, heightPercent: 1 });
  const shot = await snapshot(bed, P, filter, 'no-face');
  assert.ok(shareOutside(shot, [], 0, isMagenta) < 0.001, 'nothing drawn where no face is');
  assert.deepEqual(eventsOf(filter, 'Error'), []);
  await bed.value('release', { object: P });
  await viewer.close();
});
