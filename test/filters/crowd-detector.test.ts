/**
 * CrowdDetectorFilter as a user sees it (issue 12 §7): a PlayerEndpoint plays
 * `crowdScene` (a still textured picture for 3 s, then textured blobs moving right in
 * the upper-left quarter, Kurento's tutorial ROI) into the filter. Occupancy, fluidity
 * and direction events come for that ROI once things move, none during the still start
 * and none for a ROI where nothing moves; the picture shows Kurento's paint (white ROI
 * outlines, red or blue over the crowd); malformed ROIs are refused with clear errors.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { PlayerBed } from '../helpers/playerBed.ts';
import { crowdScene, type CrowdScene } from '../helpers/filterMedia.ts';
import { grabFrames, type FrameGrabber } from '../helpers/frameGrab.ts';
import type { Frame } from '../helpers/pixels.ts';
import { assertFilterCycles } from '../helpers/filterCycles.ts';

const bed = new PlayerBed();
const { create, invoke, subscribe } = bed;
let scene: CrowdScene;
let grab: FrameGrabber | undefined;

const EVENTS = ['CrowdDetectorOccupancy', 'CrowdDetectorFluidity', 'CrowdDetectorDirection'];
/**
 * Kurento's tutorial settings (10/35/65/5 for both levels), with direction events on and
 * occupancy counted from 3%: the scene's four 48 px discs cover 9.4% of the ROI.
 */
const CONFIG = {
  occupancyLevelMin: 3, occupancyLevelMed: 35, occupancyLevelMax: 65, occupancyNumFramesToEvent: 5,
  fluidityLevelMin: 10, fluidityLevelMed: 35, fluidityLevelMax: 65, fluidityNumFramesToEvent: 5,
  sendOpticalFlowEvent: true, opticalFlowNumFramesToEvent: 3, opticalFlowNumFramesToReset: 3, opticalFlowAngleOffset: 0,
};
/** How far the played media may be ahead of the moment `play` answered (s). */
const MEDIA_LEAD_S = 0.3;
const quarter = (x0: number, y0: number): Array<{ x: number; y: number }> =>
  [{ x: x0, y: y0 }, { x: x0 + 0.5, y: y0 }, { x: x0 + 0.5, y: y0 + 0.5 }, { x: x0, y: y0 + 0.5 }];

before(async () => {
  scene = crowdScene(bed.dir);
  await bed.start();
});
after(async () => {
  grab?.stop();
  await bed.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Pixels of the quarter at (fx, fy) (fractions of the picture) strongly red or blue, as the crowd paint makes them. */
function tinted(f: Frame, fx: number, fy: number): number {
  let n = 0;
  const x0 = Math.round(fx * f.width);
  const y0 = Math.round(fy * f.height);
  for (let y = y0 + 4; y < y0 + f.height / 2 - 4; y++) {
    for (let x = x0 + 4; x < x0 + f.width / 2 - 4; x++) {
      const i = (y * f.width + x) * 3;
      const r = f.rgb[i]!;
      const g = f.rgb[i + 1]!;
      const b = f.rgb[i + 2]!;
      if (r - Math.max(g, b) > 50 || b - Math.max(r, g) > 50) n++;
    }
  }
  return n;
}

/** Share of the rows from fy0 to fy1 whose pixels near column fx are white (a vertical white line there). */
function whiteShare(f: Frame, fx: number, fy0: number, fy1: number): number {
  let rows = 0;
  let white = 0;
  const cx = Math.round(fx * f.width);
  for (let y = Math.round(fy0 * f.height); y < Math.round(fy1 * f.height); y++) {
    rows++;
    for (let x = cx - 3; x <= cx + 3; x++) {
      const i = (y * f.width + x) * 3;
      if (f.rgb[i]! > 200 && f.rgb[i + 1]! > 200 && f.rgb[i + 2]! > 200) {
        white++;
        break;
      }
    }
  }
  return white / rows;
}

test('motion in the ROI gives occupancy, fluidity and direction events, none while the scene is still nor for a still ROI', async () => {
  const P = await create('MediaPipeline', {});
  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(scene.webm).href });
  const filter = await create('CrowdDetectorFilter', {
    mediaPipeline: P,
    rois: [
      { id: 'roi1', points: quarter(0, 0), regionOfInterestConfig: CONFIG },
      { id: 'still', points: quarter(0.5, 0.5), regionOfInterestConfig: CONFIG },
    ],
  });
  await subscribe(filter, ...EVENTS, 'Error');
  await invoke(player, 'connect', { sink: filter });
  grab = await grabFrames(bed, P, filter);
  await invoke(player, 'play');
  const t0 = performance.now();
  await sleep(1_500);
  const still = grab.latestFrame();
  await sleep(5_500);
  const moving = grab.latestFrame();
  const events = bed.events.filter((e) => e.object === filter && EVENTS.includes(e.type));
  const at = (e: (typeof events)[number]): number => (e.at - t0) / 1000;
  console.log(events.map((e) => `${at(e).toFixed(2)} s ${e.type} ${JSON.stringify({ ...e.data, source: undefined, tags: undefined, timestamp: undefined, timestampMillis: undefined })}`).join('\n'));
  // The media may run up to MEDIA_LEAD_S ahead of the moment play() answered.
  const early = events.filter((e) => at(e) < scene.stillUntil - MEDIA_LEAD_S);
  assert.deepEqual(early.map((e) => e.type), [], 'no event while the scene is still');
  assert.deepEqual(events.filter((e) => e.data.roiId !== 'roi1'), [], 'no event for the ROI where nothing moves');
  for (const type of EVENTS) assert.ok(events.some((e) => e.type === type), `a ${type} event`);
  // Both spellings of the ROI id: roiId (KMD 6.18) and roiID (Kurento's tutorials).
  for (const e of events) assert.equal(e.data.roiID, 'roi1');
  const occupancy = events.filter((e) => e.type === 'CrowdDetectorOccupancy');
  assert.ok(occupancy.every((e) => typeof e.data.occupancyPercentage === 'number' && typeof e.data.occupancyLevel === 'number'));
  assert.ok(occupancy.some((e) => (e.data.occupancyLevel as number) >= 1), 'the ROI is seen occupied');
  // The blobs move right: 90 degrees, the tutorial's convention being 0 = north, clockwise.
  const angles = events.filter((e) => e.type === 'CrowdDetectorDirection').map((e) => e.data.directionAngle as number);
  const rightward = angles.filter((a) => Math.abs(a - 90) <= 30).length;
  assert.ok(rightward >= angles.length / 2, `mostly east: ${angles.map((a) => a.toFixed(0)).join(' ')}`);
  assert.equal(bed.eventsOf(filter, 'Error').length, 0);
  // The video went through all along.
  assert.ok(grab.count > 30, `${grab.count} frames through the filter`);
  // The paint (Kurento's: white ROI outlines, red or blue over the crowd): the moving
  // quarter gets tinted where the blobs are, the still one does not, and both ROIs are
  // outlined in white from the start.
  assert.ok(still && moving, 'frames grabbed');
  const roiPixels = (moving.width / 2) * (moving.height / 2);
  const grew = tinted(moving, 0, 0) - tinted(still, 0, 0);
  assert.ok(grew > 0.03 * roiPixels, `red or blue over the moving crowd: ${grew} more tinted pixels in its ROI`);
  assert.ok(Math.abs(tinted(moving, 0.5, 0.5) - tinted(still, 0.5, 0.5)) < 0.01 * roiPixels, 'no paint in the still ROI');
  for (const f of [still, moving]) {
    assert.ok(whiteShare(f, 0.5, 0.1, 0.4) > 0.8, `the ROIs' shared edge is a white line (${whiteShare(f, 0.5, 0.1, 0.4).toFixed(2)} of its rows)`);
    assert.ok(whiteShare(f, 0.3, 0.6, 0.9) < 0.5, `and not a column of the picture elsewhere (${whiteShare(f, 0.3, 0.6, 0.9).toFixed(2)})`);
  }
  console.log(`# crowd paint: ${grew} more red or blue pixels in the moving ROI (of ${roiPixels}), white edge ${whiteShare(moving, 0.5, 0.1, 0.4).toFixed(2)}`);
  grab.stop();
  grab = undefined;
  await bed.value('release', { object: P });
});

test('malformed ROIs and processing widths are refused with clear errors; a valid width is taken live', async () => {
  const P = await create('MediaPipeline', {});
  const refused = async (rois: unknown): Promise<{ code?: number; message?: string }> => {
    const r = await bed.c.request('create', { type: 'CrowdDetectorFilter', constructorParams: { mediaPipeline: P, rois }, sessionId: bed.sid });
    assert.ok(r.error, `refused: ${JSON.stringify(rois)}`);
    return r.error;
  };
  const two = await refused([{ id: 'a', points: [{ x: 0, y: 0 }, { x: 1, y: 1 }], regionOfInterestConfig: {} }]);
  assert.equal(two.code, 40107);
  assert.match(two.message ?? '', /at least 3 points/);
  const outside = await refused([{ id: 'a', points: [{ x: 0, y: 0 }, { x: 1.5, y: 0 }, { x: 1, y: 1 }], regionOfInterestConfig: {} }]);
  assert.equal(outside.code, 40107);
  const twice = await refused([{ id: 'a', points: quarter(0, 0), regionOfInterestConfig: {} }, { id: 'a', points: quarter(0.5, 0), regionOfInterestConfig: {} }]);
  assert.match(twice.message ?? '', /twice/);

  const player = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(scene.webm).href });
  const filter = await create('CrowdDetectorFilter', { mediaPipeline: P, rois: [{ id: 'roi1', points: quarter(0, 0), regionOfInterestConfig: CONFIG }] });
  await subscribe(filter, ...EVENTS);
  assert.equal(await invoke(filter, 'getProcessingWidth'), 320);
  await invoke(player, 'connect', { sink: filter });
  grab = await grabFrames(bed, P, filter);
  await invoke(player, 'play');
  await grab.waitFor(() => true, 8_000);
  const bad = await bed.request(filter, 'setProcessingWidth', { processingWidth: 3 });
  assert.equal(bad.error?.code, 40107);
  assert.equal(await invoke(filter, 'getProcessingWidth'), 320);
  await invoke(filter, 'setProcessingWidth', { processingWidth: 160 });
  assert.equal(await invoke(filter, 'getProcessingWidth'), 160);
  // Analysed at 160 wide from then on, events still come once the blobs move.
  const deadline = performance.now() + 8_000;
  while (!bed.eventsOf(filter, 'CrowdDetectorOccupancy').length && performance.now() < deadline) await sleep(100);
  assert.ok(bed.eventsOf(filter, 'CrowdDetectorOccupancy').length > 0, 'occupancy at processingWidth 160');
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
  await assertFilterCycles(bed, P, player, () => create('CrowdDetectorFilter', { mediaPipeline: P, rois: [{ id: 'r', points: quarter(0, 0), regionOfInterestConfig: CONFIG }] }), 30);
  await bed.value('release', { object: P });
});
