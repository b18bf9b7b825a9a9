/**
 * The player tutorial (Kurento's "Player") in headless Chromium: a 5 s WebM made with
 * gst-launch (the tutorial's sample clip), given by file:// and over a local HTTP server, plays in the page (a picture
 * that moves), the video info shows it seekable with its duration, pause holds the
 * picture and resume moves it again, a seek moves the position, `playEnd` comes at the
 * end; a bad URL is explained in the page; nothing is left on the media server.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { startFluo, RpcClient, sleep } from '../helpers/fluo.ts';
import { launchChromium } from '../helpers/browser.ts';
import { waitFor } from '../helpers/netns.ts';
import { startTutorial, type RunningTutorial } from '../../examples/tutorials.ts';
import { makeSampleClip } from '../../examples/player/server.ts';
import { screenshotDir, pipelineCount, videoPlays, openTutorial, statusMatches, pictureMoves } from '../helpers/tutorialPages.ts';

const shots = screenshotDir();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-player-tutorial-test-'));
let clip: string;
let web: http.Server;
let fluo: Awaited<ReturnType<typeof startFluo>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let rpc: RpcClient;
let app: RunningTutorial;
before(async () => {
  // The tutorial's own sample (bright SMPTE bars: a black page would show), 5 s long.
  clip = path.join(dir, 'clip.webm');
  await makeSampleClip(clip, 5);
  // The clip over HTTP, with Range support so GStreamer's souphttpsrc can seek in it.
  web = http.createServer((req, res) => {
    if (req.url !== '/clip.webm') { res.writeHead(404).end(); return; }
    const size = fs.statSync(clip).size;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const first = range ? Number(range[1]) : 0;
    const last = range && range[2] ? Number(range[2]) : size - 1;
    res.writeHead(range ? 206 : 200, { 'Content-Type': 'video/webm', 'Accept-Ranges': 'bytes', 'Content-Length': last - first + 1, ...(range ? { 'Content-Range': `bytes ${first}-${last}/${size}` } : {}) });
    fs.createReadStream(clip, { start: first, end: last }).pipe(res);
  });
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
  fluo = await startFluo();
  browser = await launchChromium();
  rpc = await RpcClient.open(fluo.url);
  app = await startTutorial('player', fluo.url, 0, '127.0.0.1');
});
after(async () => {
  try {
    await app.stop(); await rpc.close(); await browser.close(); await fluo.stop();
    await new Promise((r) => web.close(r));
  } finally {
    shots.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const noPipeline = (): Promise<void> => waitFor(async () => (await pipelineCount(rpc)) === 0, 10_000, 'no pipeline');
const field = (page: Page, id: string): Promise<string> => page.$eval(`#${id}`, (i) => (i as HTMLInputElement).value);

/** Starts `url` in the page; returns once the video moves and the video info is shown. */
async function play(page: Page, url: string): Promise<void> {
  await page.fill('#videourl', url);
  await page.click('#start');
  const shown = await videoPlays(page, 'videoOutput', 15_000, 0.5);
  assert.ok(shown.luma > 10, `a picture (luma ${shown.luma.toFixed(1)})`);
  const moved = await pictureMoves(page, 'videoOutput');
  assert.ok(moved > 0.5, `the picture moves (mean change ${moved.toFixed(2)} per pixel)`);
  await statusMatches(page, /Playing/);
  assert.equal(await field(page, 'isSeekable'), 'true');
  const duration = Number(await field(page, 'duration'));
  assert.ok(Math.abs(duration - 5000) < 200, `the duration shown is ${duration} ms`);
  assert.equal(Number(await field(page, 'initSeek')), 0);
}

/** Asks for the position and returns what the page shows (ms). */
async function position(page: Page): Promise<number> {
  await page.$eval('#videoPosition', (i) => { (i as HTMLInputElement).value = ''; });
  await page.click('#getPosition');
  await page.waitForFunction(() => (document.getElementById('videoPosition') as HTMLInputElement).value !== '');
  return Number(await field(page, 'videoPosition'));
}

test('player, file://: the page starts with the sample the app made; the clip plays, pauses, resumes, seeks and ends with playEnd', async () => {
  const page = await openTutorial(browser.context, app);
  // The URL field starts with the app's own sample, a file it made with gst-launch-1.0.
  await page.waitForFunction(() => (document.getElementById('videourl') as HTMLInputElement).value !== '');
  const sample = new URL(await field(page, 'videourl'));
  assert.equal(sample.protocol, 'file:');
  assert.ok(fs.statSync(sample).size > 10_000, `${sample.href} exists`);

  await play(page, pathToFileURL(clip).href);
  await page.click('#pause');
  await statusMatches(page, /Paused/);
  await sleep(300); // frames already on their way
  const held = await pictureMoves(page, 'videoOutput', 1000);
  assert.ok(held < 0.5, `paused, the picture holds (mean change ${held.toFixed(2)})`);
  const pausedAt = await position(page);
  await sleep(500);
  assert.ok(Math.abs((await position(page)) - pausedAt) < 100, 'paused, the position holds');
  await page.click('#pause'); // now labelled Resume
  await statusMatches(page, /Playing/);
  const resumed = await pictureMoves(page, 'videoOutput');
  assert.ok(resumed > 0.5, `resumed, the picture moves (mean change ${resumed.toFixed(2)})`);
  await page.screenshot({ path: `${shots.dir}player.png`, fullPage: true });

  const before = await position(page);
  assert.ok(before < 3500, `before the seek at ${before} ms`);
  await page.fill('#seekPosition', '4000');
  await page.click('#doSeek');
  await waitFor(async () => (await position(page)) >= 4000, 3000, 'the position after the seek');
  await statusMatches(page, /The video ended/, 5000);
  await noPipeline();
  await page.close();
});

test('player, http://: the clip plays from a local HTTP server; Stop releases the pipeline', async () => {
  const page = await openTutorial(browser.context, app);
  await play(page, `http://127.0.0.1:${(web.address() as AddressInfo).port}/clip.webm`);
  await page.click('#stop');
  await statusMatches(page, /Stopped/);
  await noPipeline();
  await page.close();
});

test('player, bad URLs: a missing file and a 404 are shown as errors in the page, and leave no pipeline', async () => {
  const page = await openTutorial(browser.context, app);
  for (const url of [pathToFileURL(`${dir}/missing.webm`).href, `http://127.0.0.1:${(web.address() as AddressInfo).port}/missing.webm`]) {
    await page.fill('#videourl', url);
    await page.click('#start');
    await statusMatches(page, /^Error: /);
    await page.waitForFunction(() => !(document.getElementById('start') as HTMLButtonElement).disabled);
    await noPipeline();
  }
  await page.close();
});
