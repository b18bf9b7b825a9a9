/**
 * The filter tests' eyes, end to end: a PlayerEndpoint of a filter scene
 * (test/helpers/filterMedia.ts) through a PassThrough to an RtpEndpoint, decoded by
 * GStreamer into RGB frames (test/helpers/frameGrab.ts), shows the picture the scene
 * was rendered from.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { workerSockets } from '../helpers/fluo.ts';
import { until } from '../helpers/RemotePeers.ts';
import { PlayerBed } from '../helpers/playerBed.ts';
import { faceScene, qrScene, type FaceScene, type QrScene } from '../helpers/filterMedia.ts';
import { grabFrames, readImage, decodeFrames, type FrameGrabber } from '../helpers/frameGrab.ts';
import { meanColour, colourDistance, fractionMatching, mirrorCorrelations, near, type Frame } from '../helpers/pixels.ts';

const bed = new PlayerBed();
const { create, invoke } = bed;
const grabbers: FrameGrabber[] = [];
let face: FaceScene;
let qr: QrScene;

before(async () => {
  face = faceScene(bed.dir);
  qr = qrScene(bed.dir);
  await bed.start();
});
after(async () => {
  for (const g of grabbers) g.stop();
  await bed.stop();
});

/** A player of `webm` through a PassThrough, its frames grabbed; the pipeline's id too. */
async function play(webm: string): Promise<{ P: string; grab: FrameGrabber }> {
  const P = await create('MediaPipeline', {});
  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(webm).href });
  const pass = await create('PassThrough', { mediaPipeline: P });
  await invoke(player, 'connect', { sink: pass });
  const grab = await grabFrames(bed, P, pass);
  grabbers.push(grab);
  await invoke(player, 'play');
  return { P, grab };
}

async function finish(P: string, grab: FrameGrabber): Promise<void> {
  grab.stop();
  await bed.value('release', { object: P });
  // The engine process stays for the next play (the worker's engine pool); sockets go.
  await until(async () => (await workerSockets(bed.fluo.server)).length === 0, 5_000, 'the RtpEndpoint\'s sockets closed');
}

const fmt = (c: number[]): string => c.map((v) => v.toFixed(0)).join(',');

test('face scene: 640x480 frames whose face region is the source picture\'s', async () => {
  const { P, grab } = await play(face.webm);
  const first = await grab.waitFor(() => true, 10_000);
  assert.deepEqual([first.width, first.height], [640, 480]);
  // A few frames on, past any start-up picture of the decoder.
  const start = grab.count;
  const f = await grab.waitFor(() => grab.count >= start + 3, 5_000);
  const src = readImage(face.picture);
  const [got, want] = [meanColour(f, face.face), meanColour(src, face.face)];
  assert.ok(colourDistance(got, want) < 12, `face region: ${fmt(got)} decoded, ${fmt(want)} in the source`);
  // The whole picture, not just its mean: the same (drifting by a few pixels), not mirrored.
  const c = mirrorCorrelations(src, f);
  assert.ok(c.straight > 0.9 && c.straight > c.mirrored, JSON.stringify(c));
  await finish(P, grab);
});

test('QR scene: a white frame with a black-and-white code in the middle', async () => {
  const { P, grab } = await play(qr.webm);
  const f: Frame = await grab.waitFor(() => true, 10_000);
  const white = near([255, 255, 255], 40);
  const black = near([0, 0, 0], 60);
  const all = fractionMatching(f, white) + fractionMatching(f, black);
  assert.ok(all > 0.95, `${(all * 100).toFixed(1)}% of pixels white or black`);
  const inCode = fractionMatching(f, black, qr.code);
  assert.ok(inCode > 0.3 && inCode < 0.7, `${(inCode * 100).toFixed(1)}% black inside the code`);
  assert.equal(fractionMatching(f, white, { x: 0, y: 0, width: 100, height: 480 }), 1, 'white left of the code');
  await finish(P, grab);
});

test('decodeFrames reads a file\'s frames as RGB, as a recorder check would', () => {
  const frames = decodeFrames(face.webm, { fps: 2 });
  assert.equal(frames.length, face.seconds * 2);
  assert.deepEqual([frames[0]!.width, frames[0]!.height], [640, 480]);
  assert.ok(colourDistance(meanColour(frames[0]!, face.face), meanColour(readImage(face.picture), face.face)) < 12);
});
