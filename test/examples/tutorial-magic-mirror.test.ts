/**
 * The Magic Mirror tutorial in headless Chromium, the astronaut's face as the fake
 * camera: the video back from Fluo shows the tutorial's red hat above the face (read
 * from the page's <video> through a canvas), where the camera's own picture has none,
 * and leaves the lower face visible. Stop releases the pipeline.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startFluo, RpcClient } from '../helpers/fluo.ts';
import { launchChromium } from '../helpers/browser.ts';
import { waitFor } from '../helpers/netns.ts';
import { faceScene } from '../helpers/filterMedia.ts';
import type { Rect } from '../helpers/pixels.ts';
import { faceIn } from '../filters/overlayMedia.ts';
import { startTutorial, type RunningTutorial } from '../../examples/tutorials.ts';
import { screenshotDir, pipelineCount, videoPlays, openTutorial } from '../helpers/tutorialPages.ts';

const shots = screenshotDir();
const media = mkdtempSync(join(tmpdir(), 'fluo-magic-mirror-test-'));
const scene = faceScene(media, 4);
let fluo: Awaited<ReturnType<typeof startFluo>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let rpc: RpcClient;
let app: RunningTutorial;
before(async () => {
  fluo = await startFluo();
  browser = await launchChromium({ fakeVideoFile: scene.y4m() });
  rpc = await RpcClient.open(fluo.url);
  app = await startTutorial('magic-mirror', fluo.url, 0, '127.0.0.1');
});
after(async () => {
  try {
    await app.stop(); await rpc.close(); await browser.close(); await fluo.stop();
  } finally {
    shots.cleanup();
    rmSync(media, { recursive: true, force: true });
  }
});

/** The share of a rectangle (in 640x480 units) of a <video>'s current picture that is the hat's red. */
function redShare(page: Page, id: string, r: Rect): Promise<number> {
  return page.evaluate(({ id, r }) => {
    const v = document.getElementById(id) as HTMLVideoElement;
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    const g = c.getContext('2d')!;
    g.drawImage(v, 0, 0);
    const sx = c.width / 640;
    const sy = c.height / 480;
    const d = g.getImageData(Math.round(r.x * sx), Math.round(r.y * sy), Math.max(1, Math.round(r.width * sx)), Math.max(1, Math.round(r.height * sy))).data;
    let hit = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i]! > 160 && d[i + 1]! < 90 && d[i + 2]! < 100) hit++;
    return hit / (d.length / 4);
  }, { id, r });
}

test('magic-mirror: the hat sits above the face in the video back from Fluo; Stop releases the pipeline', async () => {
  // Where the filter finds the face, and where the tutorial's -0.35, -1.2, 1.6, 1.6 put the hat's cap (all red).
  const f = faceIn(scene.picture);
  const box = { x: f.x - 0.35 * f.width, y: f.y - 1.2 * f.height, width: 1.6 * f.width, height: 1.6 * f.height };
  const cap = { x: box.x + 0.38 * box.width, y: Math.max(0, box.y + 0.25 * box.height), width: 0.24 * box.width, height: 0.2 * box.height };
  const cheeks = { x: f.x + 0.2 * f.width, y: f.y + 0.45 * f.height, width: 0.6 * f.width, height: 0.17 * f.height };

  const page = await openTutorial(browser.context, app);
  await page.click('#start');
  const shown = await videoPlays(page, 'videoOutput', 25_000);
  assert.ok(shown.luma > 10, `a picture comes back (luma ${shown.luma.toFixed(1)})`);
  await page.waitForFunction(() => /media is flowing/.test(document.getElementById('status')!.textContent ?? ''));
  await waitFor(async () => (await redShare(page, 'videoOutput', cap)) > 0.8, 20_000, 'the hat over the face');
  assert.ok((await redShare(page, 'videoInput', cap)) < 0.05, 'the camera itself shows no hat there');
  assert.ok((await redShare(page, 'videoOutput', cheeks)) < 0.05, 'the lower face stays visible');
  assert.equal(await pipelineCount(rpc), 1);
  await page.screenshot({ path: `${shots.dir}magic-mirror.png` });

  await page.click('#stop');
  await waitFor(async () => (await pipelineCount(rpc)) === 0, 10_000, 'no pipeline');
  await page.close();
});
