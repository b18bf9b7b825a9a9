/**
 * CrowdDetectorFilter as a user sees it (issue 12 §7): a PlayerEndpoint plays
 * `crowdScene` (a still textured picture for 3 s, then textured blobs moving right in
 * the upper-left quarter, Kurento's tutorial ROI) into the filter. Occupancy, fluidity
 * and direction events come for that ROI once things move, none during the still start
 * and none for a ROI where nothing moves; malformed ROIs are refused with clear errors.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { PlayerBed } from '../helpers/playerBed.ts';
import { crowdScene, type CrowdScene } from '../helpers/filterMedia.ts';
import { grabFrames, type FrameGrabber } from '../helpers/frameGrab.ts';
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
  await sleep(7_000);
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
