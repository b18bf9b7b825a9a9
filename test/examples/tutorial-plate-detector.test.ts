/**
 * The plate detector tutorial (Kurento's "Plate Detector Filter", FIWARE `./services
 * plate-detection`) in headless Chromium, whose fake camera shows the car with the plate
 * 8886AJR (a Y4M rendered from test/helpers/plateScene.ts): the picture comes back
 * through the PlateDetectorFilter, the page lists 8886AJR once while the plate stays in
 * view, and stopping releases the pipeline.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFluo, RpcClient, sleep } from '../helpers/fluo.ts';
import { launchChromium } from '../helpers/browser.ts';
import { waitFor } from '../helpers/netns.ts';
import { startTutorial, type RunningTutorial } from '../../examples/tutorials.ts';
import { plateVideoScene } from '../helpers/plateScene.ts';
import { screenshotDir, pipelineCount, videoPlays, openTutorial, statusMatches } from '../helpers/tutorialPages.ts';

const shots = screenshotDir();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-plate-tutorial-test-'));
let fluo: Awaited<ReturnType<typeof startFluo>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let rpc: RpcClient;
let app: RunningTutorial;
before(async () => {
  const scene = plateVideoScene(dir, [{ plate: '8886AJR', seconds: 2 }], 'camera');
  fluo = await startFluo();
  browser = await launchChromium({ fakeVideoFile: scene.y4m() });
  rpc = await RpcClient.open(fluo.url);
  app = await startTutorial('plate-detection', fluo.url, 0, '127.0.0.1');
});
after(async () => {
  try {
    await app?.stop(); await rpc?.close(); await browser?.close(); await fluo?.stop();
  } finally {
    shots.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const plates = (page: import('playwright-core').Page): Promise<string[]> => page.$$eval('#plates .plate', (els) => els.map((e) => e.textContent ?? ''));

test('plate-detection: the page shows the plate 8886AJR read by Fluo, once while it stays in view', { timeout: 90_000 }, async () => {
  const page = await openTutorial(browser.context, app);
  await page.click('#start');
  await statusMatches(page, /media is flowing/, 20_000);
  const shown = await videoPlays(page, 'videoOutput');
  assert.ok(shown.luma > 10, `the returned picture is not black (mean luma ${shown.luma.toFixed(1)})`);
  await page.waitForFunction(() => document.querySelectorAll('#plates .plate').length > 0, undefined, { timeout: 30_000 });
  assert.deepEqual(await plates(page), ['8886AJR']);
  assert.match(await page.textContent('#log') ?? '', /License plate detected 8886AJR/);
  await page.screenshot({ path: `${shots.dir}plate-detector.png` });
  // The camera loops the same car: still one appearance, still one line.
  await sleep(4_000);
  assert.deepEqual(await plates(page), ['8886AJR']);
  assert.equal(await pipelineCount(rpc), 1);
  await page.click('#stop');
  await waitFor(async () => (await pipelineCount(rpc)) === 0, 5000, 'the pipeline released');
  await page.close();
});
