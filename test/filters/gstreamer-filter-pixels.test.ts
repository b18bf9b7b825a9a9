/**
 * GStreamerFilter as a user sees it (issue 12 §4): `videoflip method=horizontal-flip`,
 * the command Kurento's docs give, mirrors the picture on Debian's GStreamer 1.22 (which
 * ignores `method` itself), and setElementProperty('method', ...) changes it live.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { PlayerBed } from '../helpers/playerBed.ts';
import { faceScene, type FaceScene } from '../helpers/filterMedia.ts';
import { grabFrames, readImage, type FrameGrabber } from '../helpers/frameGrab.ts';
import { mirrorCorrelations, type Frame } from '../helpers/pixels.ts';

const bed = new PlayerBed();
const { create, invoke } = bed;
let face: FaceScene;
let grab: FrameGrabber | undefined;

before(async () => {
  face = faceScene(bed.dir, 10);
  await bed.start();
});
after(async () => {
  grab?.stop();
  await bed.stop();
});

/** The next frame decoded after `n` more have arrived (past the encoder's start-up). */
async function frameAfter(g: FrameGrabber, n: number): Promise<Frame> {
  const start = g.count;
  return g.waitFor(() => g.count >= start + n, 8_000);
}

test('videoflip method=horizontal-flip mirrors the picture; setElementProperty(method, none) straightens it', async () => {
  const source = readImage(face.picture);
  const P = await create('MediaPipeline', {});
  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(face.webm).href });
  const flip = await create('GStreamerFilter', { mediaPipeline: P, command: 'videoflip method=horizontal-flip' });
  await invoke(player, 'connect', { sink: flip });
  grab = await grabFrames(bed, P, flip);
  await invoke(player, 'play');
  const mirrored = mirrorCorrelations(source, await frameAfter(grab, 5));
  assert.ok(mirrored.mirrored > 0.9 && mirrored.straight < 0.7, `mirrored: ${JSON.stringify(mirrored)}`);
  await invoke(flip, 'setElementProperty', { propertyName: 'method', propertyValue: 'none' });
  const straight = mirrorCorrelations(source, await frameAfter(grab, 8));
  assert.ok(straight.straight > 0.9 && straight.mirrored < 0.7, `after method=none: ${JSON.stringify(straight)}`);
  const bad = await bed.request(flip, 'setElementProperty', { propertyName: 'nosuchproperty', propertyValue: '1' });
  assert.equal(bad.error?.code, 40107);
  // A property naming a file is refused like the unsafe elements (GStreamerFilter.conf.ini).
  const file = await bed.request(flip, 'setElementProperty', { propertyName: 'location', propertyValue: '/tmp/x' });
  assert.equal(file.error?.code, 40107);
  assert.match(String(file.error?.message), /location may name a file/);
  // The stream keeps flowing after the refused calls.
  await frameAfter(grab, 3);
  grab.stop();
  await bed.value('release', { object: P });
});
