import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { PointerTracker } from '../../src/media/filters/vision/PointerTracker.ts';
import { hueDistance } from '../../src/media/filters/vision/HsvRange.ts';
import { KurentoError } from '../../src/shared/KurentoError.ts';
import { seeded } from '../helpers/seeded.ts';

// The Kurento tutorial's setup (Kurento docs, Pointer Detector tutorial): a 640x480
// picture, calibration box (5, 5, 30, 30), windows 50x50 at (500, 150) and (500, 250).
// The tracker sees it downscaled 4 times, 160x120.
const FULL = { width: 640, height: 480 };
const W = 160;
const H = 120;
const CALIBRATION = { topRightCornerX: 5, topRightCornerY: 5, width: 30, height: 30 };
const WINDOW0 = { id: 'window0', height: 50, width: 50, upperRightX: 500, upperRightY: 150 };
const WINDOW1 = { id: 'window1', height: 50, width: 50, upperRightX: 500, upperRightY: 250 };
const RED: Rgb = [220, 30, 40];
const GREEN: Rgb = [40, 200, 60];

type Rgb = readonly [number, number, number];
interface Disc { x: number; y: number; r: number; colour: Rgb }

/** Full-range RGB noise (every hue appears somewhere) with discs drawn at full-picture coordinates. */
function frame(rand: () => number, discs: readonly Disc[]) {
  const data = new Uint8Array(W * H * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rand() * 256);
  for (const d of discs) {
    const cx = d.x / 4, cy = d.y / 4, r = d.r / 4;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 > r * r) continue;
        // A little shading, as a real object has.
        const shade = 0.85 + 0.15 * rand();
        for (let c = 0; c < 3; c++) data[(y * W + x) * 3 + c] = Math.round(d.colour[c]! * shade);
      }
    }
  }
  return { data, width: W, height: H };
}

/** A tracker calibrated on a disc of `colour` filling the tutorial's calibration box. */
function calibrated(colour: Rgb, rand: () => number, windows: unknown[] = [WINDOW0, WINDOW1]): PointerTracker {
  const t = new PointerTracker(CALIBRATION, windows);
  t.process(frame(rand, [{ x: 20, y: 20, r: 24, colour }]), FULL);
  t.trackColorFromCalibrationRegion();
  return t;
}

function isKurento(type: string, pattern: RegExp) {
  return (e: unknown) => e instanceof KurentoError && e.type === type && pattern.test(e.message);
}

test('calibration learns the dominant colour of the region despite outlier pixels, then finds the pointer', () => {
  const rand = seeded(1);
  const t = new PointerTracker(CALIBRATION);
  assert.equal(t.process(frame(rand, [{ x: 300, y: 200, r: 24, colour: RED }]), FULL).pointer, null, 'nothing tracked before calibration');
  // Radius 24 about (20, 20): the box's corners stay noise, about 10% of its pixels.
  t.process(frame(rand, [{ x: 20, y: 20, r: 24, colour: RED }]), FULL);
  t.trackColorFromCalibrationRegion();
  const c = t.colour;
  assert.ok(c);
  assert.ok(hueDistance(c.hue, 357) < 8, `hue ${c.hue} is red's`);
  assert.ok(c.hueTolerance <= 30, `tolerance ${c.hueTolerance} stays narrow`);
  for (const [x, y] of [[300, 200], [50, 420], [600, 60]] as const) {
    const p = t.process(frame(rand, [{ x, y, r: 24, colour: RED }]), FULL).pointer;
    assert.ok(p, `found at ${x},${y}`);
    assert.ok(Math.abs(p.x - x) < 4 && Math.abs(p.y - y) < 4, `at ${p.x.toFixed(1)},${p.y.toFixed(1)} for ${x},${y}`);
  }
});

test('calibrating before any frame takes the colour from the first frame', () => {
  const rand = seeded(2);
  const t = new PointerTracker(CALIBRATION);
  t.trackColorFromCalibrationRegion();
  const r = t.process(frame(rand, [{ x: 20, y: 20, r: 24, colour: GREEN }]), FULL);
  assert.ok(t.colour && hueDistance(t.colour.hue, 128) < 10, `green hue, got ${t.colour?.hue}`);
  assert.ok(r.pointer && Math.abs(r.pointer.x - 20) < 4, 'and the pointer in that frame');
});

test('a green pointer is followed, a red object and small green specks are not taken for it', () => {
  const rand = seeded(3);
  const t = calibrated(GREEN, rand);
  const r = t.process(frame(rand, [
    { x: 400, y: 300, r: 40, colour: RED },
    { x: 100, y: 100, r: 5, colour: GREEN },
    { x: 200, y: 380, r: 20, colour: GREEN },
  ]), FULL);
  assert.ok(r.pointer && Math.abs(r.pointer.x - 200) < 4 && Math.abs(r.pointer.y - 380) < 4, JSON.stringify(r.pointer));
  const specks = t.process(frame(rand, [{ x: 400, y: 300, r: 40, colour: RED }, { x: 100, y: 100, r: 5, colour: GREEN }]), FULL);
  assert.equal(specks.pointer, null, 'a blob under the minimal area is noise');
});

test('a pointer crossing the tutorial windows gives WindowIn / WindowOut in order', () => {
  const rand = seeded(4);
  const t = calibrated(RED, rand);
  // Right along y=175 through window0, down through window1, out of the picture.
  const path: [number, number][] = [];
  for (let x = 390; x <= 530; x += 20) path.push([x, 175]);
  for (let y = 195; y <= 335; y += 20) path.push([530, y]);
  for (let x = 570; x <= 630; x += 30) path.push([x, 335]);
  const events: string[] = [];
  for (const [x, y] of path) {
    for (const e of t.process(frame(rand, [{ x, y, r: 16, colour: RED }]), FULL).events) events.push(`${e.type} ${e.windowId} @${x},${y}`);
  }
  assert.deepEqual(events, [
    'WindowIn window0 @510,175',
    'WindowOut window0 @530,215', // window0 spans y 150..200, window1 250..300
    'WindowIn window1 @530,255',
    'WindowOut window1 @530,315',
  ]);
});

test('a still pointer outside every window gives no event; one inside gives one WindowIn only', () => {
  const rand = seeded(5);
  const t = calibrated(RED, rand);
  for (let i = 0; i < 20; i++) assert.deepEqual(t.process(frame(rand, [{ x: 300, y: 300, r: 16, colour: RED }]), FULL).events, []);
  const inside: string[] = [];
  for (let i = 0; i < 10; i++) {
    inside.push(...t.process(frame(rand, [{ x: 525, y: 275, r: 16, colour: RED }]), FULL).events.map((e) => e.type));
  }
  assert.deepEqual(inside, ['WindowIn']);
  assert.equal(t.isWindowActive('window1'), true);
});

test('a pointer that disappears inside a window leaves it, and enters again when it comes back', () => {
  const rand = seeded(6);
  const t = calibrated(RED, rand);
  const at = (discs: Disc[]) => t.process(frame(rand, discs), FULL).events.map((e) => `${e.type} ${e.windowId}`);
  assert.deepEqual(at([{ x: 525, y: 175, r: 16, colour: RED }]), ['WindowIn window0']);
  assert.deepEqual(at([]), ['WindowOut window0']);
  assert.deepEqual(at([]), []);
  assert.deepEqual(at([{ x: 525, y: 175, r: 16, colour: RED }]), ['WindowIn window0']);
});

test('overlapping and adjacent windows: every WindowOut of a frame comes before its WindowIn', () => {
  const rand = seeded(7);
  const t = calibrated(RED, rand, [
    { id: 'left', upperRightX: 100, upperRightY: 100, width: 100, height: 100 },
    { id: 'right', upperRightX: 200, upperRightY: 100, width: 100, height: 100 },
    { id: 'all', upperRightX: 100, upperRightY: 100, width: 200, height: 100 },
  ]);
  const at = (x: number) => t.process(frame(rand, [{ x, y: 150, r: 16, colour: RED }]), FULL).events.map((e) => `${e.type} ${e.windowId}`);
  assert.deepEqual(at(150), ['WindowIn left', 'WindowIn all']);
  assert.deepEqual(at(250), ['WindowOut left', 'WindowIn right']);
});

test('removeWindow and clearWindows stop the events of those windows', () => {
  const rand = seeded(8);
  const t = calibrated(RED, rand);
  const at = (y: number) => t.process(frame(rand, [{ x: 525, y, r: 16, colour: RED }]), FULL).events.map((e) => `${e.type} ${e.windowId}`);
  assert.equal(t.removeWindow('window0'), true);
  assert.equal(t.removeWindow('window0'), false, 'an unknown id is no error');
  assert.deepEqual(at(175), []);
  assert.deepEqual(at(275), ['WindowIn window1']);
  t.clearWindows();
  assert.deepEqual(at(375), [], 'no WindowOut for a window the client removed');
  assert.deepEqual(t.windows(), []);
  t.addWindow(WINDOW0);
  assert.deepEqual(at(175), ['WindowIn window0'], 'a window can be added again');
});

test('malformed windows and calibration regions are refused with a KurentoError naming the fault', () => {
  const t = new PointerTracker(CALIBRATION, [WINDOW0]);
  const { id: _id, ...noId } = WINDOW1;
  assert.throws(() => t.addWindow(noId), isKurento('MARSHALL_ERROR', /'window\.id' parameter should be a String/));
  assert.throws(() => t.addWindow({ ...WINDOW1, id: '' }), isKurento('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /must not be empty/));
  assert.throws(() => t.addWindow({ ...WINDOW1, width: Number.NaN }), isKurento('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /window 'window1'.*width.*finite/));
  assert.throws(() => t.addWindow({ ...WINDOW1, height: -5 }), isKurento('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /height' must be at least 1/));
  assert.throws(() => t.addWindow({ ...WINDOW1, upperRightX: Infinity }), isKurento('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /upperRightX/));
  assert.throws(() => t.addWindow({ ...WINDOW1, upperRightY: '3' }), isKurento('MARSHALL_ERROR', /upperRightY/));
  assert.throws(() => t.addWindow({ ...WINDOW1, imageTransparency: 2 }), isKurento('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /imageTransparency/));
  assert.throws(() => t.addWindow({ ...WINDOW1, image: 7 }), isKurento('MARSHALL_ERROR', /image/));
  assert.throws(() => t.addWindow({ ...WINDOW0 }), isKurento('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /window 'window0' already exists/));
  assert.throws(() => t.addWindow(null), isKurento('MARSHALL_ERROR', /'window' should be an object/));
  assert.throws(() => t.removeWindow(3), isKurento('MARSHALL_ERROR', /windowId/));
  assert.deepEqual(t.windows().map((w) => w.id), ['window0'], 'nothing refused was added');
  const kept = t.addWindow({ ...WINDOW1, image: 'http://x/a.png', activeImage: 'http://x/b.png', imageTransparency: 0.3 });
  assert.equal(kept.activeImage, 'http://x/b.png', 'the images stay for the node to draw');

  assert.throws(() => new PointerTracker({ ...CALIBRATION, width: 0 }), isKurento('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /calibrationRegion\.width/));
  assert.throws(() => new PointerTracker({ ...CALIBRATION, topRightCornerX: -1 }), isKurento('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /topRightCornerX/));
  assert.throws(() => new PointerTracker(undefined), isKurento('MARSHALL_ERROR', /calibrationRegion/));
  assert.throws(() => new PointerTracker(CALIBRATION, [WINDOW0, WINDOW0]), isKurento('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /already exists/));
  assert.throws(() => t.process({ data: new Uint8Array(10), width: W, height: H }, FULL), RangeError, 'a frame of the wrong size is a wiring bug');
});

test('the pointer is still found when the light dims it by a third', () => {
  const rand = seeded(9);
  const t = calibrated(RED, rand);
  const dim: Rgb = [Math.round(RED[0] * 0.65), Math.round(RED[1] * 0.65), Math.round(RED[2] * 0.65)];
  const p = t.process(frame(rand, [{ x: 320, y: 240, r: 24, colour: dim }]), FULL).pointer;
  assert.ok(p && Math.abs(p.x - 320) < 4 && Math.abs(p.y - 240) < 4, JSON.stringify(p));
});

test('cost of one 160x120 frame', () => {
  const rand = seeded(10);
  const t = calibrated(RED, rand);
  const frames = Array.from({ length: 30 }, (_, i) => frame(rand, [{ x: 100 + 15 * i, y: 200, r: 24, colour: RED }]));
  for (const f of frames) t.process(f, FULL);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const rounds = 10;
  for (let k = 0; k < rounds; k++) for (const f of frames) t.process(f, FULL);
  const wall = (performance.now() - t0) / (rounds * frames.length);
  const c = process.cpuUsage(c0);
  console.log(`# PointerTracker: ${wall.toFixed(2)} ms wall, ${((c.user + c.system) / 1000 / (rounds * frames.length)).toFixed(2)} ms CPU per 160x120 RGB frame on full-range noise`);
  assert.ok(wall < 15);
});
