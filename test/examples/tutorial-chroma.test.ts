/**
 * The chroma tutorial (Kurento's "Chroma Filter" module tutorial) in headless Chromium
 * whose fake camera shows a green screen (filterMedia's scene: the astronaut in front of
 * pure green, as a Y4M made at test time): after the first second's calibration in the 5,5,30x30 window, the
 * page's remote video shows the tutorial's background image where the green was and the
 * astronaut where she was. kurento-client creates `chroma.ChromaFilter` only because the
 * app registered kurento-module-chroma, as Kurento apps do; stop releases the pipeline.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFluo, RpcClient } from '../helpers/fluo.ts';
import { launchChromium } from '../helpers/browser.ts';
import { waitFor } from '../helpers/netns.ts';
import { startTutorial, type RunningTutorial } from '../../examples/tutorials.ts';
import { screenshotDir, pipelineCount, videoPlays, openTutorial } from '../helpers/tutorialPages.ts';
import { greenScreenScene } from '../helpers/filterMedia.ts';

const shots = screenshotDir();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-chroma-tutorial-test-'));
let fluo: Awaited<ReturnType<typeof startFluo>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let rpc: RpcClient;
let app: RunningTutorial;
before(async () => {
  // Chromium loops the file (2 s of 640x480).
  const camera = greenScreenScene(dir, 2).y4m();
  fluo = await startFluo();
  browser = await launchChromium({ fakeVideoFile: camera });
  rpc = await RpcClient.open(fluo.url);
  app = await startTutorial('chroma', fluo.url, 0, '127.0.0.1');
});
after(async () => {
  try {
    await app?.stop(); await rpc?.close(); await browser?.close(); await fluo?.stop();
  } finally {
    shots.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs in the page: the colours of the remote video at points given as fractions of its size. */
function colours(points: Array<[number, number]>): Array<{ r: number; g: number; b: number }> {
  const v = document.getElementById('videoOutput') as HTMLVideoElement;
  const c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d')!;
  g.drawImage(v, 0, 0);
  return points.map(([fx, fy]) => {
    const d = g.getImageData(Math.floor(fx * c.width), Math.floor(fy * c.height), 1, 1).data;
    return { r: d[0]!, g: d[1]!, b: d[2]! };
  });
}

const near = (got: { r: number; g: number; b: number }, want: { r: number; g: number; b: number }, tol = 50): boolean =>
  Math.abs(got.r - want.r) <= tol && Math.abs(got.g - want.g) <= tol && Math.abs(got.b - want.b) <= tol;

test('chroma: the green behind the subject becomes the background image in the page', async () => {
  const page = await openTutorial(browser.context, app);
  await page.click('#start');
  await videoPlays(page, 'videoOutput');
  // Calibration: the first second of frames; then the output has to reach the page.
  const ground = { r: 0xc0, g: 0x78, b: 0x38 };
  const sun = { r: 0xff, g: 0xd0, b: 0x40 };
  let seen: Array<{ r: number; g: number; b: number }> = [];
  await waitFor(async () => {
    // Ground (bottom left and right), the sun (upper right), the subject (centre).
    seen = await page.evaluate(colours, [[0.1, 0.9], [0.9, 0.9], [0.8, 0.2], [0.5, 0.5]] as Array<[number, number]>);
    return near(seen[0]!, ground) && near(seen[1]!, ground) && near(seen[2]!, sun);
  }, 15_000, 'the background image in the page').catch((e: Error) => assert.fail(`${e.message}: ${JSON.stringify(seen)}`));
  // The astronaut's suit, not green and not the image.
  assert.ok(!near(seen[3]!, { r: 0, g: 255, b: 0 }) && !near(seen[3]!, ground), `the subject stays in front: ${JSON.stringify(seen[3])}`);
  await page.screenshot({ path: `${shots.dir}chroma.png` });
  assert.equal(await pipelineCount(rpc), 1);
  await page.click('#stop');
  await waitFor(async () => (await pipelineCount(rpc)) === 0, 5000, 'the pipeline released');
  await page.close();
});
