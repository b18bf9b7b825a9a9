import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { CrowdAnalyzer, type CrowdEvent } from '../../src/media/filters/vision/CrowdAnalyzer.ts';
import { RoiMask } from '../../src/media/filters/vision/RoiMask.ts';
import { KurentoError } from '../../src/shared/KurentoError.ts';
import { seeded } from '../helpers/seeded.ts';

const W = 320;
const H = 240;
// The Kurento tutorial's ROI: the upper-left quarter of the picture.
const QUARTER = [{ x: 0, y: 0 }, { x: 0.5, y: 0 }, { x: 0.5, y: 0.5 }, { x: 0, y: 0.5 }];
const LOWER_RIGHT = [{ x: 0.5, y: 0.5 }, { x: 1, y: 0.5 }, { x: 1, y: 1 }, { x: 0.5, y: 1 }];
const WHOLE = [{ x: 0, y: 0 }, { x: 1, y: 0 }, { x: 1, y: 1 }, { x: 0, y: 1 }];

interface Rect { x: number; y: number; w: number; h: number; texture: Uint8Array }

/**
 * A synthetic scene: a fixed mid-grey textured background, sensor noise of +-3 levels
 * per frame, and textured rectangles ("people") dark or bright against it, each carrying
 * its own texture as it moves, as a real object does.
 */
class Scene {
  private readonly background = new Uint8Array(W * H);
  private readonly rand: () => number;

  constructor(seed: number) {
    this.rand = seeded(seed);
    for (let i = 0; i < this.background.length; i++) this.background[i] = 100 + Math.floor(this.rand() * 50);
  }

  texture(w: number, h: number): Uint8Array {
    const t = new Uint8Array(w * h);
    for (let i = 0; i < t.length; i++) t[i] = this.rand() < 0.5 ? Math.floor(this.rand() * 60) : 200 + Math.floor(this.rand() * 55);
    return t;
  }

  rect(x: number, y: number, w: number, h: number): Rect {
    return { x, y, w, h, texture: this.texture(w, h) };
  }

  frame(rects: readonly Rect[] = []) {
    const data = new Uint8Array(W * H);
    for (let i = 0; i < data.length; i++) data[i] = this.background[i]! + Math.floor(this.rand() * 7) - 3;
    for (const r of rects) {
      for (let v = 0; v < r.h; v++) {
        const y = Math.round(r.y) + v;
        if (y < 0 || y >= H) continue;
        for (let u = 0; u < r.w; u++) {
          const x = Math.round(r.x) + u;
          if (x >= 0 && x < W) data[y * W + x] = r.texture[v * r.w + u]!;
        }
      }
    }
    return { data, width: W, height: H };
  }
}

function roi(id: string, points: typeof QUARTER, config: Record<string, unknown> = {}) {
  return { id, points, regionOfInterestConfig: config };
}

/** Runs `frames` frames of `scene` drawn by `draw(i)`; returns every event, tagged with its frame. */
function run(a: CrowdAnalyzer, scene: Scene, frames: number, draw: (i: number) => Rect[], from = 0) {
  const events: (CrowdEvent & { frame: number })[] = [];
  for (let i = 0; i < frames; i++) {
    for (const e of a.process(scene.frame(draw(i))).events) events.push({ ...e, frame: from + i });
  }
  return events;
}

function angleGap(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return d > 180 ? 360 - d : d;
}

test('ROI masks: the tutorial quarter is exactly a quarter, a triangle about half its box', () => {
  assert.equal(new RoiMask(QUARTER, W, H).area, (W / 2) * (H / 2));
  const tri = new RoiMask([{ x: 0, y: 0 }, { x: 1, y: 0 }, { x: 0, y: 1 }], W, H);
  assert.ok(Math.abs(tri.area - (W * H) / 2) < W, `triangle ${tri.area}`);
  const m = new Uint8Array(W * H);
  m[10 * W + 10] = 1; // inside the triangle
  m[230 * W + 310] = 1; // outside it
  assert.equal(tri.count(m), 1);
});

test('a still, noisy scene gives no event at all', () => {
  const scene = new Scene(1);
  const a = new CrowdAnalyzer([roi('roi0', QUARTER, { sendOpticalFlowEvent: true })]);
  const events = run(a, scene, 60, () => []);
  assert.deepEqual(events, []);
  const last = a.process(scene.frame()).rois[0]!;
  assert.ok(last.occupancyPercentage < 1 && last.fluidityPercentage === 0, JSON.stringify(last));
});

test('moving content filling more and more of the ROI raises occupancy levels 1, 2, 3, then back to 0', () => {
  const scene = new Scene(2);
  const a = new CrowdAnalyzer([roi('roi0', QUARTER)]);
  run(a, scene, 5, () => []);
  // Shares of the 160x120 ROI: 20%, 47%, 86%; each jitters by 2 pixels so it moves.
  const phases = [scene.rect(5, 5, 70, 55), scene.rect(5, 5, 120, 75), scene.rect(5, 5, 150, 110)];
  const events: ReturnType<typeof run> = [];
  phases.forEach((r, p) => {
    events.push(...run(a, scene, 12, (i) => [{ ...r, x: r.x + (i % 2) * 2 }], p * 12));
  });
  events.push(...run(a, scene, 12, () => [], 36));
  const occupancy = events.filter((e) => e.type === 'CrowdDetectorOccupancy');
  assert.deepEqual(occupancy.map((e) => [e.occupancyLevel, e.frame]), [[1, 4], [2, 16], [3, 28], [0, 41]],
    'each level after occupancyNumFramesToEvent = 5 frames of it (frame 36, where the block vanishes, still differs from 35)');
  const pct = occupancy.map((e) => e.occupancyPercentage);
  assert.ok(pct[0]! > 18 && pct[0]! < 30 && pct[1]! > 45 && pct[1]! < 60 && pct[2]! > 85 && pct[3]! < 10, pct.join(', '));
  assert.ok(events.every((e) => e.roiId === 'roi0'));
});

test('motion outside a ROI gives it nothing; a ROI where it happens gets the events', () => {
  const scene = new Scene(3);
  const a = new CrowdAnalyzer([roi('upperLeft', QUARTER, { sendOpticalFlowEvent: true }), roi('lowerRight', LOWER_RIGHT, { sendOpticalFlowEvent: true })]);
  run(a, scene, 3, () => []);
  const r = scene.rect(170, 130, 130, 100);
  const events = run(a, scene, 20, (i) => [{ ...r, x: r.x + i % 4 }]);
  assert.ok(events.length > 0, 'the lower-right ROI sees it');
  assert.deepEqual(events.filter((e) => e.roiId === 'upperLeft'), []);
});

test('direction: right is 90 (east), up is 0 (north), as the Kurento docs define; the offset turns the axis counter-clockwise', () => {
  const cases = [
    { dx: 4, dy: 0, offset: 0, expect: 90 },
    { dx: 0, dy: -4, offset: 0, expect: 0 },
    { dx: -4, dy: 0, offset: 0, expect: 270 },
    { dx: 0, dy: 4, offset: 0, expect: 180 },
    { dx: 4, dy: 0, offset: 90, expect: 180 },
    { dx: 0, dy: -4, offset: -30, expect: 330 },
  ];
  for (const [k, c] of cases.entries()) {
    const scene = new Scene(10 + k);
    const a = new CrowdAnalyzer([roi('roi0', WHOLE, { sendOpticalFlowEvent: true, opticalFlowAngleOffset: c.offset })]);
    const r = scene.rect(130, 90, 56, 56);
    run(a, scene, 3, () => [r]); // in place before it moves: appearing is no motion
    const dirs = run(a, scene, 12, (i) => [{ ...r, x: r.x + c.dx * i, y: r.y + c.dy * i }]).filter((e) => e.type === 'CrowdDetectorDirection');
    assert.equal(dirs.length, 1, `one event for ${JSON.stringify(c)}: ${JSON.stringify(dirs)}`);
    const got = (dirs[0] as { directionAngle: number }).directionAngle;
    assert.ok(angleGap(got, c.expect) < 10, `${JSON.stringify(c)} gave ${got}`);
    // Frame 0 primes the flow, frames 1..3 move: opticalFlowNumFramesToEvent = 3.
    assert.equal((dirs[0] as { frame: number }).frame, 3);
  }
});

test('direction events: only with sendOpticalFlowEvent, again after opticalFlowNumFramesToReset still frames, and on a turn', () => {
  const scene = new Scene(20);
  const off = new CrowdAnalyzer([roi('roi0', WHOLE)]);
  const on = new CrowdAnalyzer([roi('roi0', WHOLE, { sendOpticalFlowEvent: true })]);
  const r = scene.rect(60, 90, 56, 56);
  const path = (i: number): Rect => {
    if (i < 10) return { ...r, x: r.x + 4 * i }; // right
    if (i < 15) return { ...r, x: r.x + 36 }; // still for 5 frames, more than the 3 that reset
    if (i < 25) return { ...r, x: r.x + 36 + 4 * (i - 14) }; // right again
    return { ...r, x: r.x + 76, y: r.y - 4 * (i - 24) }; // up
  };
  const seen: [number, number][] = [];
  for (let i = 0; i < 35; i++) {
    const f = scene.frame([path(i)]);
    assert.deepEqual(off.process(f).events.filter((e) => e.type === 'CrowdDetectorDirection'), []);
    for (const e of on.process(f).events) if (e.type === 'CrowdDetectorDirection') seen.push([Math.round(e.directionAngle), i]);
  }
  // Frame 0 primes the flow; each direction is told after 3 frames of it.
  assert.deepEqual(seen.map(([angle, frame]) => [(Math.round(angle / 90) * 90) % 360, frame]), [[90, 3], [90, 17], [0, 27]], JSON.stringify(seen));
});

test('fluidity grows with speed; a crowd that stands still is occupied but not fluid', () => {
  const means: number[] = [];
  const levels: number[] = [];
  for (const speed of [0, 1, 2, 4, 7]) {
    const scene = new Scene(30 + speed);
    const a = new CrowdAnalyzer([roi('roi0', WHOLE)]);
    run(a, scene, 3, () => []);
    const r = scene.rect(20, 80, 64, 64);
    let sum = 0;
    let n = 0;
    const events = run(a, scene, 20, (i) => [{ ...r, x: r.x + speed * i }]);
    for (let i = 0; i < 5; i++) {
      const s = a.process(scene.frame([{ ...r, x: r.x + speed * (20 + i) }])).rois[0]!;
      sum += s.fluidityPercentage;
      n++;
    }
    means.push(sum / n);
    const last = events.filter((e) => e.type === 'CrowdDetectorFluidity').at(-1);
    levels.push(last ? (last as { fluidityLevel: number }).fluidityLevel : 0);
    if (speed === 0) {
      const occ = events.filter((e) => e.type === 'CrowdDetectorOccupancy');
      assert.ok(occ.length === 0 || occ.every((e) => e.type === 'CrowdDetectorOccupancy' && e.occupancyLevel === 0),
        'a 64x64 still block is under 10% of the picture');
    }
  }
  for (let k = 1; k < means.length; k++) assert.ok(means[k]! > means[k - 1]!, `fluidity by speed 0,1,2,4,7: ${means.map((m) => m.toFixed(1)).join(', ')}`);
  assert.ok(means[0]! < 5, `still: ${means[0]}`);
  assert.ok(levels[4]! > levels[1]!, `levels ${levels.join(', ')}`);
});

test('a still crowd in the ROI: occupancy level up, fluidity level 0', () => {
  const scene = new Scene(40);
  const a = new CrowdAnalyzer([roi('roi0', QUARTER)]);
  run(a, scene, 3, () => []);
  const r = scene.rect(10, 10, 120, 90); // 56% of the quarter
  const events = run(a, scene, 30, () => [r]);
  assert.deepEqual(events.map((e) => e.type), ['CrowdDetectorOccupancy']);
  assert.equal(events[0]!.type === 'CrowdDetectorOccupancy' && events[0]!.occupancyLevel, 2);
});

test('malformed ROIs are refused with a KurentoError naming the ROI', () => {
  const bad = (rois: unknown, type: string, pattern: RegExp) => assert.throws(() => new CrowdAnalyzer(rois),
    (e: unknown) => e instanceof KurentoError && e.type === type && pattern.test(e.message), `${JSON.stringify(rois)} -> ${pattern}`);
  bad([roi('r1', QUARTER.slice(0, 2))], 'MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /ROI 'r1' needs at least 3 points, got 2/);
  bad([roi('r1', [...QUARTER.slice(0, 3), { x: 1.2, y: 0 }])], 'MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /ROI 'r1'\.points\[3\]\.x' must be at most 1/);
  bad([roi('r1', [...QUARTER.slice(0, 3), { x: 0.2, y: -0.1 }])], 'MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /ROI 'r1'\.points\[3\]\.y/);
  bad([roi('r1', [...QUARTER.slice(0, 3), { x: Number.NaN, y: 0 }])], 'MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /finite/);
  bad([{ points: QUARTER, regionOfInterestConfig: {} }], 'MARSHALL_ERROR', /'rois\[0\]\.id' parameter should be a String/);
  bad([roi('', QUARTER)], 'MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /must not be empty/);
  bad([roi('r1', QUARTER), roi('r1', LOWER_RIGHT)], 'MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /ROI 'r1' is given twice/);
  bad([roi('r1', QUARTER, { occupancyLevelMin: 50, occupancyLevelMed: 35 })], 'MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /ROI 'r1': occupancy levels must be min <= med <= max, got 50, 35, 65/);
  bad([roi('r1', QUARTER, { fluidityLevelMax: 20 })], 'MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /ROI 'r1': fluidity levels/);
  bad([roi('r1', QUARTER, { fluidityLevelMax: 120 })], 'MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /fluidityLevelMax' must be at most 100/);
  bad([roi('r1', QUARTER, { occupancyNumFramesToEvent: -1 })], 'MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /occupancyNumFramesToEvent/);
  bad([roi('r1', QUARTER, { opticalFlowNumFramesToEvent: 1.5 })], 'MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /integer/);
  bad([roi('r1', QUARTER, { opticalFlowAngleOffset: Infinity })], 'MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', /opticalFlowAngleOffset/);
  bad([roi('r1', QUARTER, { sendOpticalFlowEvent: 'yes' })], 'MARSHALL_ERROR', /sendOpticalFlowEvent/);
  bad([{ id: 'r1', points: 'abc' }], 'MARSHALL_ERROR', /ROI 'r1': 'points'/);
  bad({}, 'MARSHALL_ERROR', /'rois'/);
  const a = new CrowdAnalyzer([{ id: 'r1', points: QUARTER }], { processingWidth: 160 });
  assert.equal(a.rois[0]!.config.occupancyNumFramesToEvent, 5, 'KMD defaults fill a missing config');
  assert.equal(a.processingWidth, 160);
  assert.throws(() => { a.processingWidth = 0; }, (e: unknown) => e instanceof KurentoError && /processingWidth/.test(e.message));
  assert.throws(() => a.process({ data: new Uint8Array(5), width: W, height: H }), RangeError);
});

/**
 * Per frame of process(): the median wall time over `rounds` passes of `frames`, and the
 * CPU time of this process (which a machine busy with other work inflates less).
 */
function msPerFrame(a: CrowdAnalyzer, frames: ReturnType<Scene['frame']>[], rounds = 7): { wall: number; cpu: number } {
  for (const f of frames) a.process(f); // warm up the JIT
  const times: number[] = [];
  const c0 = process.cpuUsage();
  for (let k = 0; k < rounds; k++) {
    const t0 = performance.now();
    for (const f of frames) a.process(f);
    times.push((performance.now() - t0) / frames.length);
  }
  const c = process.cpuUsage(c0);
  return { wall: times.sort((x, y) => x - y)[rounds >> 1]!, cpu: (c.user + c.system) / 1000 / (rounds * frames.length) };
}

test('cost of one 320x240 frame: three people walking, and a busy scene', () => {
  const rois = () => [roi('all', WHOLE, { sendOpticalFlowEvent: true }), roi('quarter', QUARTER, { sendOpticalFlowEvent: true })];
  const scene = new Scene(50);
  const walkers = [scene.rect(20, 40, 32, 80), scene.rect(150, 100, 32, 80), scene.rect(250, 30, 32, 80)];
  const walking = Array.from({ length: 40 }, (_, i) => scene.frame(walkers.map((r, k) => ({ ...r, x: r.x + (k === 1 ? -2 : 2) * (i % 20), y: r.y + (i % 2) }))));
  const crowd = Array.from({ length: 8 }, (_, k) => scene.rect(10 + (k % 4) * 75, 20 + Math.floor(k / 4) * 110, 48, 80));
  const busy = Array.from({ length: 40 }, (_, i) => scene.frame(crowd.map((r, k) => ({ ...r, x: r.x + ((i * (k + 1)) % 12), y: r.y + (i % 3) }))));
  for (const [name, frames] of [['three walkers', walking], ['busy', busy]] as const) {
    const a = new CrowdAnalyzer(rois());
    const { wall, cpu } = msPerFrame(a, frames);
    const moving = a.flowField!.moving.reduce((s, v) => s + v, 0);
    console.log(`# CrowdAnalyzer, ${name}: ${wall.toFixed(2)} ms wall (median), ${cpu.toFixed(2)} ms CPU per 320x240 frame`
      + ` (2 ROIs with direction, ${moving} of ${a.flowField!.moving.length} flow cells moving)`);
    assert.ok(wall < 15, `${name}: ${wall} ms per frame`);
  }
});
