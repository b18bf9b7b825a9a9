/**
 * PointerDetectorFilter as a user sees it (issue 12 §8): a PlayerEndpoint plays
 * `pointerScene` (a red disc, still in Kurento's calibration square (5,5,30,30) for 2 s,
 * then across a window) into the filter; trackColorFromCalibrationRegion during the
 * calibration period, then WindowIn and WindowOut at the times the scene's timeline
 * says; the window is drawn on the picture, in another colour while the pointer is in it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { PlayerBed } from '../helpers/playerBed.ts';
import { pointerScene, type PointerScene } from '../helpers/filterMedia.ts';
import { grabFrames, type FrameGrabber } from '../helpers/frameGrab.ts';
import { assertFilterCycles } from '../helpers/filterCycles.ts';
import { colourDistance, meanColour, type Frame, type Rgb } from '../helpers/pixels.ts';
import { solidPng } from './overlayMedia.ts';

const bed = new PlayerBed();
const { create, invoke, subscribe } = bed;
let scene: PointerScene;
let grab: FrameGrabber | undefined;

/** Kurento's tutorial calibration square. */
const CALIBRATION = { topRightCornerX: 5, topRightCornerY: 5, width: 30, height: 30 };
/** When an event may come, around the timeline's time: decoding, 10 fps analysis, RPC. */
const EARLY_S = 0.25;
const LATE_S = 0.8;

before(async () => {
  scene = pointerScene(bed.dir);
  await bed.start();
});
after(async () => {
  grab?.stop();
  await bed.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The mean colour of the window's top edge (2 px, its middle half) in a frame. */
function topEdge(f: Frame): Rgb {
  const w = scene.window;
  return meanColour(f, { x: w.x + w.width / 4, y: w.y, width: w.width / 2, height: 2 });
}

/** A window the pointer never crosses, showing its (inactive) image. */
const STILL = { x: 480, y: 380, width: 120, height: 60 };

test('calibrated during the still start, the pointer fires WindowIn then WindowOut on time; the windows are drawn', async () => {
  const P = await create('MediaPipeline', {});
  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(scene.webm).href });
  const w = scene.window;
  // window0 has only an activeImage: a rectangle while the pointer is out, the image
  // while it is in (KMD PointerDetectorWindowMediaParam); window1 shows its image.
  const cyan = pathToFileURL(solidPng(bed.dir, 'active', '0x00ffff', 64, 16)).href;
  const magenta = pathToFileURL(solidPng(bed.dir, 'still', '0xff00ff', 32, 32)).href;
  const filter = await create('PointerDetectorFilter', {
    mediaPipeline: P,
    calibrationRegion: CALIBRATION,
    windows: [
      { id: 'window0', upperRightX: w.x, upperRightY: w.y, width: w.width, height: w.height, activeImage: cyan },
      { id: 'window1', upperRightX: STILL.x, upperRightY: STILL.y, width: STILL.width, height: STILL.height, image: magenta },
    ],
  });
  await subscribe(filter, 'WindowIn', 'WindowOut', 'Error');
  await invoke(player, 'connect', { sink: filter });
  grab = await grabFrames(bed, P, filter, { fps: 30 });
  await invoke(player, 'play');
  const t0 = performance.now();
  // Calibrate a second into the still start, as the tutorial's user clicks "Calibrate".
  await grab.waitFor(() => true, 8_000);
  await sleep(Math.max(0, 1000 - (performance.now() - t0)));
  assert.ok(performance.now() - t0 < scene.calibrationUntil * 1000, 'calibrated while the pointer is in the square');
  await invoke(filter, 'trackColorFromCalibrationRegion');

  // Before the pointer enters: the window is drawn in its idle colour.
  const idleFrame = await grab.waitFor(() => performance.now() - t0 > (scene.calibrationUntil + 0.3) * 1000, 8_000);
  const idle = topEdge(idleFrame);
  assert.ok(colourDistance(idle, [0, 128, 255]) < 60, `idle window edge ${idle}`);
  const still = meanColour(idleFrame, { x: STILL.x + 10, y: STILL.y + 10, width: STILL.width - 20, height: STILL.height - 20 });
  assert.ok(colourDistance(still, [255, 0, 255]) < 60, `window1 shows its image, scaled to the window: ${still}`);
  // While inside: window0's active image over the whole window.
  const middle = (scene.enter + scene.exit) / 2;
  const active = topEdge(await grab.waitFor(() => performance.now() - t0 > middle * 1000, 10_000));
  assert.ok(colourDistance(active, [0, 255, 255]) < 60, `active window image ${active}`);

  const deadline = performance.now() + 10_000;
  while (bed.eventsOf(filter, 'WindowOut').length === 0 && performance.now() < deadline) await sleep(50);
  const ins = bed.eventsOf(filter, 'WindowIn');
  const outs = bed.eventsOf(filter, 'WindowOut');
  assert.equal(ins.length, 1, `one WindowIn: ${JSON.stringify(ins.map((e) => e.data))}`);
  assert.equal(outs.length, 1, `one WindowOut: ${JSON.stringify(outs.map((e) => e.data))}`);
  assert.equal(ins[0]!.data.windowId, 'window0');
  assert.equal(outs[0]!.data.windowId, 'window0');
  const tIn = (ins[0]!.at - t0) / 1000;
  const tOut = (outs[0]!.at - t0) / 1000;
  console.log(`WindowIn at ${tIn.toFixed(2)} s (scene ${scene.enter.toFixed(2)}), WindowOut at ${tOut.toFixed(2)} s (scene ${scene.exit.toFixed(2)})`);
  assert.ok(tIn > scene.enter - EARLY_S && tIn < scene.enter + LATE_S, `WindowIn at ${tIn} s, the scene enters at ${scene.enter} s`);
  assert.ok(tOut > scene.exit - EARLY_S && tOut < scene.exit + LATE_S, `WindowOut at ${tOut} s, the scene leaves at ${scene.exit} s`);
  assert.equal(bed.eventsOf(filter, 'Error').length, 0);
  grab.stop();
  grab = undefined;
  await bed.value('release', { object: P });
});

test('malformed calibration regions and windows are refused with clear errors; the stream keeps flowing', async () => {
  const P = await create('MediaPipeline', {});
  const refused = async (params: Record<string, unknown>): Promise<{ code?: number; message?: string }> => {
    const r = await bed.c.request('create', { type: 'PointerDetectorFilter', constructorParams: { mediaPipeline: P, calibrationRegion: CALIBRATION, ...params }, sessionId: bed.sid });
    assert.ok(r.error, `refused: ${JSON.stringify(params)}`);
    return r.error;
  };
  const noArea = await refused({ calibrationRegion: { ...CALIBRATION, width: 0 } });
  assert.equal(noArea.code, 40107);
  assert.match(noArea.message ?? '', /width/);
  const twice = await refused({ windows: [{ id: 'a', upperRightX: 0, upperRightY: 0, width: 5, height: 5 }, { id: 'a', upperRightX: 9, upperRightY: 9, width: 5, height: 5 }] });
  assert.match(twice.message ?? '', /already exists/);
  const flat = await refused({ windows: [{ id: 'b', upperRightX: 0, upperRightY: 0, width: 5, height: -1 }] });
  assert.equal(flat.code, 40107);

  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(scene.webm).href });
  const filter = await create('PointerDetectorFilter', { mediaPipeline: P, calibrationRegion: CALIBRATION });
  await invoke(player, 'connect', { sink: filter });
  grab = await grabFrames(bed, P, filter);
  await invoke(player, 'play');
  await grab.waitFor(() => true, 8_000);
  await invoke(filter, 'addWindow', { window: { id: 'w', upperRightX: 10, upperRightY: 10, width: 20, height: 20 } });
  const again = await bed.request(filter, 'addWindow', { window: { id: 'w', upperRightX: 10, upperRightY: 10, width: 20, height: 20 } });
  assert.equal(again.error?.code, 40107);
  assert.match(again.error?.message ?? '', /already exists/);
  const bad = await bed.request(filter, 'addWindow', { window: { id: 'x', upperRightX: 10, upperRightY: 10, width: 0, height: 20 } });
  assert.equal(bad.error?.code, 40107);
  await invoke(filter, 'removeWindow', { windowId: 'w' });
  await invoke(filter, 'removeWindow', { windowId: 'nosuchwindow' });
  await invoke(filter, 'clearWindows');
  const before = grab.count;
  await grab.waitFor(() => grab!.count >= before + 5, 8_000);
  grab.stop();
  grab = undefined;
  await bed.value('release', { object: P });
});

test('30 filters created, connected and released leave no engine bin, process, descriptor or temporary folder', async () => {
  const P = await create('MediaPipeline', {});
  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(scene.webm).href });
  await invoke(player, 'play');
  await assertFilterCycles(bed, P, player, () => create('PointerDetectorFilter', {
    mediaPipeline: P, calibrationRegion: CALIBRATION, windows: [{ id: 'w', upperRightX: 10, upperRightY: 10, width: 20, height: 20 }],
  }), 30);
  await bed.value('release', { object: P });
});
