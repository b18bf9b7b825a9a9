/**
 * group-call-mcu in headless Chromium (fake camera): three participants each receive
 * the room's one mixed stream at the Composite's size; one leaving updates the others;
 * the empty room releases its pipeline and leaves a recording of the room.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startFluo, RpcClient } from '../helpers/fluo.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startTutorial } from '../../examples/tutorials.ts';
import { waitFor } from '../helpers/netns.ts';
import { videoPlays, openTutorial } from '../helpers/tutorialPages.ts';
import { probe } from '../helpers/probe.ts';

let fluo: Awaited<ReturnType<typeof startFluo>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let rpc: RpcClient;
let sessionId: string;
before(async () => {
  fluo = await startFluo();
  browser = await launchChromium();
  rpc = await RpcClient.open(fluo.url);
  sessionId = (await rpc.ok('connect')).sessionId!;
});
/** Pipelines on the server, asked in one session (each sessionless request opens one). */
const pipelines = async (): Promise<number> =>
  ((await rpc.ok('invoke', { object: 'manager_ServerManager', operation: 'getPipelines', sessionId })).value as string[]).length;
after(async () => { await rpc.close(); await browser.close(); await fluo.stop(); });

test('group-call-mcu: three people each get the mixed room; leaving updates the others; the empty room is released and recorded', async () => {
  const app = await startTutorial('group-call-mcu', fluo.url, 0, '127.0.0.1');
  try {
    const pages: Page[] = [];
    for (const name of ['ann', 'ben', 'cyd']) {
      const page = await openTutorial(browser.context, app);
      await page.fill('#name', name);
      await page.click('#join');
      await page.waitForFunction(() => /In room/.test(document.getElementById('status')!.textContent ?? ''));
      pages.push(page);
    }
    for (const page of pages) {
      const shown = await videoPlays(page, 'videoOutput');
      assert.ok(shown.luma > 10, `the mix is not black (mean luma ${shown.luma.toFixed(1)})`);
      assert.deepEqual(await page.evaluate(() => { const v = document.getElementById('videoOutput') as HTMLVideoElement; return [v.videoWidth, v.videoHeight]; }), [640, 480]);
      await page.waitForFunction(() => /^3 in the room/.test(document.getElementById('participants')!.textContent ?? ''));
    }
    const recording = await pages[0]!.evaluate(() => /Recording to (\S+)/.exec(document.getElementById('status')!.textContent ?? '')?.[1] ?? '');
    assert.equal(await pipelines(), 1, 'one pipeline for the room');
    await pages[2]!.click('#leave');
    for (const page of pages.slice(0, 2)) await page.waitForFunction(() => /^2 in the room/.test(document.getElementById('participants')!.textContent ?? ''));
    for (const page of pages) await page.close();
    await waitFor(async () => (await pipelines()) === 0, 10_000, 'the room released');
    const file = fileURLToPath(recording);
    assert.ok(statSync(file).size > 10_000, `the room was recorded (${file})`);
    const video = (await probe(file)).streams.find((s) => s.type === 'video');
    assert.ok(video && video.width === 640 && video.frames > 10, `the room's picture in the recording: ${JSON.stringify(video)}`);
  } finally {
    await app.stop();
  }
});
