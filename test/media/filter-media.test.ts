/**
 * The filter scenes (test/helpers/filterMedia.ts) show what they promise, read back
 * from their WebM with ffmpeg: the face where facedetect said, the pointer where its
 * timeline says, the crowd still and then moving in its ROI only.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { faceScene, pointerScene, crowdScene, detectFace } from '../helpers/filterMedia.ts';
import { decodeFrames } from '../helpers/frameGrab.ts';
import { fractionMatching, meanColour, colourDistance, near, type Frame, type Rect } from '../helpers/pixels.ts';
import { positionAt } from '../helpers/pointerPath.ts';

const dir = mkdtempSync(join(tmpdir(), 'fluo-scenes-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('face scene: facedetect finds the face in a decoded frame where the scene says', () => {
  const face = faceScene(dir);
  const png = join(dir, 'face-decoded.png');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-ss', '1.5', '-i', face.webm, '-frames:v', '1', png]);
  const found = detectFace(png);
  for (const k of ['x', 'y', 'width', 'height'] as const) {
    assert.ok(Math.abs(found[k] - face.face[k]) <= 3 * face.motionPx, `${k}: ${JSON.stringify(found)} found, ${JSON.stringify(face.face)} promised`);
  }
});

/** A box of `size` around a point. */
const around = (p: { x: number; y: number }, size: number): Rect => ({ x: p.x - size / 2, y: p.y - size / 2, width: size, height: size });

test('pointer scene: the red disc is in the calibration square, then in the window on time, then out', () => {
  const s = pointerScene(dir);
  const fps = 10;
  const frames = decodeFrames(s.webm, { fps });
  const red = near(s.colour, 70);
  const at = (t: number): Frame => frames[Math.round(t * fps)]!;
  for (const when of [0.5, 1.5, s.enter + 0.3, (s.enter + s.exit) / 2, s.exit + 0.3]) {
    const t = Math.round(when * fps) / fps; // the decoded frame's own time
    const p = positionAt(s.path, t);
    assert.ok(fractionMatching(at(t), red, around(p, 16)) > 0.8, `the disc at (${p.x.toFixed(0)},${p.y.toFixed(0)}) at ${t.toFixed(2)} s`);
    // Nothing red far from it: one pointer only.
    assert.ok(fractionMatching(at(t), red) < (Math.PI * s.radius ** 2 * 1.3) / (640 * 480), `one disc at ${t.toFixed(2)} s`);
  }
  assert.ok(fractionMatching(at(1), red, { x: 5, y: 5, width: 30, height: 30 }) > 0.6, 'the disc fills the calibration square');
  assert.ok(s.calibrationUntil === 2 && s.enter > 3 && s.exit > s.enter + 2 && s.exit < s.seconds, JSON.stringify(s));
});

test('crowd scene: still for 3 s, then motion in the top-left quarter only', () => {
  const s = crowdScene(dir);
  const frames = decodeFrames(s.webm, { fps: 2 });
  const diff = (a: Frame, b: Frame, r: Rect): number => colourDistance(meanColour(a, r), meanColour(b, r));
  const blobs = { x: 0, y: 0, width: s.roi.width, height: s.roi.height };
  const rest = { x: 0, y: s.roi.height + 16, width: 640, height: 480 - s.roi.height - 16 };
  assert.ok(diff(frames[1]!, frames[5]!, blobs) < 2, 'still at 0.5 and 2.5 s');
  assert.ok(diff(frames[7]!, frames[1]!, blobs) > 5, 'blobs in the ROI at 3.5 s');
  let moved = 0;
  for (let i = 8; i < frames.length; i++) {
    const f = frames[i]!, g = frames[i - 1]!;
    if (!g.rgb.subarray(0, 640 * 240 * 3).equals(f.rgb.subarray(0, 640 * 240 * 3))) moved++;
    assert.ok(diff(f, frames[1]!, rest) < 2, `nothing moves outside the ROI at ${i / 2} s`);
  }
  assert.equal(moved, frames.length - 8, 'the ROI changes from frame to frame');
});
