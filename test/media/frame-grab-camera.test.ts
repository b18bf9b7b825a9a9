/**
 * A filter scene's Y4M as Chromium's fake camera (launchChromium's `fakeVideoFile`): a
 * page's getUserMedia gets 640x480 frames of the scene, not Chromium's test pattern.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, blankPage } from '../helpers/browser.ts';
import { greenScreenScene, type GreenScreenScene } from '../helpers/filterMedia.ts';
import type { Rect } from '../helpers/pixels.ts';

const dir = mkdtempSync(join(tmpdir(), 'fluo-camera-'));
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Awaited<ReturnType<typeof blankPage>>;
let scene: GreenScreenScene;

before(async () => {
  scene = greenScreenScene(dir);
  browser = await launchChromium({ fakeVideoFile: scene.y4m() });
  page = await blankPage();
});
after(async () => {
  await browser?.close();
  await page?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Runs in the page: the camera's size and the mean colour of two rectangles of its
 * current frame, the calibration corner and the subject. Self-contained, since the
 * browser gets only its source.
 */
async function cameraFrame(rects: Rect[]): Promise<{ width: number; height: number; means: number[][] }> {
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  const v = document.createElement('video');
  v.muted = true;
  v.srcObject = stream;
  await v.play();
  while (v.videoWidth === 0) await new Promise((r) => setTimeout(r, 20));
  const c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d')!;
  g.drawImage(v, 0, 0);
  const means = rects.map((r) => {
    const d = g.getImageData(r.x, r.y, r.width, r.height).data;
    const sum = [0, 0, 0];
    for (let i = 0; i < d.length; i += 4) { sum[0]! += d[i]!; sum[1]! += d[i + 1]!; sum[2]! += d[i + 2]!; }
    return sum.map((s) => s / (d.length / 4));
  });
  for (const t of stream.getTracks()) t.stop();
  return { width: v.videoWidth, height: v.videoHeight, means };
}

test('a scene\'s Y4M is the fake camera: 640x480, green in the calibration corner, the subject in the middle', async () => {
  const tab = await browser.context.newPage();
  await tab.goto(page.url);
  const { calibration: k, subject: s } = scene;
  const got = await tab.evaluate(cameraFrame, [k, { x: s.x + 20, y: s.y + 20, width: s.width - 40, height: s.height - 40 }]);
  assert.deepEqual([got.width, got.height], [640, 480]);
  const [corner, subject] = got.means as [number[], number[]];
  assert.ok(corner[1]! > 200 && corner[0]! < 60 && corner[2]! < 60, `calibration corner ${corner.map(Math.round).join(',')} is green`);
  assert.ok(subject[1]! < 180 && subject[0]! > 100, `subject ${subject.map(Math.round).join(',')} is not green`);
  await tab.close();
});
