/**
 * The pointer-detector and crowd-detector tutorials (Kurento's module tutorials) in
 * headless Chromium, the fake camera playing a filter scene: the pointer's WindowIn and
 * WindowOut, and the crowd's occupancy, fluidity and direction, reach the page; stop
 * leaves no pipeline. The application registers Kurento's client modules from npm.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startFluo, RpcClient } from '../helpers/fluo.ts';
import { launchChromium } from '../helpers/browser.ts';
import { waitFor } from '../helpers/netns.ts';
import { startTutorial } from '../../examples/tutorials.ts';
import { crowdScene, pointerScene } from '../helpers/filterMedia.ts';
import { screenshotDir, pipelineCount, videoPlays, openTutorial } from '../helpers/tutorialPages.ts';

const shots = screenshotDir();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-detector-tutorials-'));
let fluo: Awaited<ReturnType<typeof startFluo>>;
let rpc: RpcClient;
before(async () => {
  fluo = await startFluo();
  rpc = await RpcClient.open(fluo.url);
});
after(async () => {
  try {
    await rpc.close(); await fluo.stop();
  } finally {
    shots.cleanup();
    if (!process.env.FLUO_KEEP_MEDIA) fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** The tutorial's window0: (500, 150), 50x50. */
const WINDOW0 = { x: 500, y: 150, width: 50, height: 50 };
/** Still in the calibration square for 4 s, then right along y = 175, through window0. */
const PATH = [
  { t: 0, x: 20, y: 20 }, { t: 4, x: 20, y: 20 }, { t: 5, x: 20, y: 175 }, { t: 8, x: 600, y: 175 }, { t: 9, x: 600, y: 175 },
];

/** Runs `body` with the tutorial `name` open in a Chromium whose camera plays `y4m`. */
async function withTutorial(name: string, y4m: string, body: (page: Page) => Promise<void>): Promise<void> {
  const browser = await launchChromium({ fakeVideoFile: y4m });
  const app = await startTutorial(name, fluo.url, 0, '127.0.0.1');
  try {
    const page = await openTutorial(browser.context, app);
    await page.click('#start');
    await videoPlays(page, 'videoOutput');
    await body(page);
    // The marks drawn for the last events reach the page a moment after the events.
    await page.waitForTimeout(1000);
    await page.screenshot({ path: `${shots.dir}${name}.png` });
    await page.click('#stop');
    await waitFor(async () => (await pipelineCount(rpc)) === 0, 5000, 'no pipeline after stop');
    await page.close();
  } finally {
    await app.stop();
    await browser.close();
  }
}

test('pointer-detector: calibrated while the pointer is in the square, windowIn then windowOut reach the page', async () => {
  const scene = pointerScene(dir, WINDOW0, PATH);
  const loop = PATH[PATH.length - 1]!.t;
  await withTutorial('pointer-detector', scene.y4m(), async (page) => {
    // The fake camera loops the file from when capture began: the local video's time
    // modulo the loop is (nearly) the scene's. Calibrate in the middle of the still part.
    await page.waitForFunction(([n, lo, hi]) => {
      const t = (document.getElementById('videoInput') as HTMLVideoElement).currentTime % n;
      return t > lo && t < hi;
    }, [loop, 1.5, 2.5] as const, { timeout: 20_000, polling: 50 });
    await page.click('#calibrate');
    await page.waitForFunction(() => document.querySelector('#windows .windowOut') !== null, undefined, { timeout: 25_000 });
    const seen = await page.$$eval('#windows li', (lis) => lis.map((li) => li.textContent).reverse());
    const first = seen.indexOf('windowIn window0');
    assert.ok(first >= 0 && seen[first + 1] === 'windowOut window0', `windowIn then windowOut for window0: ${JSON.stringify(seen)}`);
    assert.ok(seen.every((s) => /window0$/.test(s ?? '')), `only window0, which the pointer crosses: ${JSON.stringify(seen)}`);
  });
});

test('crowd-detector: occupancy, fluidity and direction of roi1 reach the page', async () => {
  // 64 px blobs: about 16% of the ROI, over the tutorial's occupancy minimum of 10%.
  const scene = crowdScene(dir, 8, 64);
  await withTutorial('crowd-detector', scene.y4m(), async (page) => {
    await page.waitForFunction(() => ['occupancy', 'fluidity', 'direction']
      .every((c) => (document.querySelector(`#crowd tr[data-roi="roi1"] .${c}`)?.textContent ?? '') !== ''), undefined, { timeout: 30_000 });
    const cells = await page.$$eval('#crowd tr[data-roi] td', (tds) => tds.map((td) => td.textContent));
    assert.equal(cells[0], 'roi1');
    assert.match(cells[1] ?? '', /^level [1-3] \(\d+%\)$/);
    assert.match(cells[2] ?? '', /^level [0-3] \(\d+%\)$/);
    assert.match(cells[3] ?? '', /^\d+°$/);
  });
});
