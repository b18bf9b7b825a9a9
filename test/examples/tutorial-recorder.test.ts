/**
 * The recorder tutorial (Kurento's "Hello World with recording") in headless Chromium with
 * a fake camera: about 3 s recorded in WEBM and in MP4 mode, the file probed with ffprobe
 * (the profile's streams, the duration the page recorded), then played back in the page
 * through a PlayerEndpoint: the video plays and is not black, and `playEnd` arrives.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startFluo, RpcClient, sleep } from '../helpers/fluo.ts';
import { launchChromium } from '../helpers/browser.ts';
import { waitFor } from '../helpers/netns.ts';
import { probe } from '../helpers/probe.ts';
import { startTutorial, type RunningTutorial } from '../../examples/tutorials.ts';
import { screenshotDir, pipelineCount, videoPlays, openTutorial, statusMatches } from '../helpers/tutorialPages.ts';

const shots = screenshotDir();
const recordings = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-recorder-tutorial-'));
let fluo: Awaited<ReturnType<typeof startFluo>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let rpc: RpcClient;
let app: RunningTutorial;
before(async () => {
  // The tutorial reads its folder when it is made (startTutorial), from this variable.
  process.env.FLUO_RECORDINGS_DIR = recordings;
  fluo = await startFluo();
  browser = await launchChromium();
  rpc = await RpcClient.open(fluo.url);
  app = await startTutorial('recorder', fluo.url, 0, '127.0.0.1');
});
after(async () => {
  try {
    await app.stop(); await rpc.close(); await browser.close(); await fluo.stop();
  } finally {
    shots.cleanup();
    fs.rmSync(recordings, { recursive: true, force: true });
  }
});

const noPipeline = (): Promise<void> => waitFor(async () => (await pipelineCount(rpc)) === 0, 10_000, 'no pipeline');

/** Records about 3 s in `format`; returns the file and how long the page said it recorded (s). */
async function record(page: Page, format: 'webm' | 'mp4'): Promise<{ file: string; seconds: number }> {
  await page.check(`input[name="format"][value="${format}"]`);
  const before = new Set(fs.readdirSync(recordings));
  await page.click('#start');
  const shown = await videoPlays(page, 'videoOutput');
  assert.ok(shown.luma > 10, `the loopback shows a picture (luma ${shown.luma.toFixed(1)})`);
  // `recording` comes from the Recorder's Recording event, after record() (itself after
  // MediaFlowInStateChanged): from here the file is being written.
  await statusMatches(page, /Recording to file:/, 10_000);
  const t0 = Date.now();
  await sleep(3000);
  await page.click('#stop');
  const seconds = (Date.now() - t0) / 1000;
  await noPipeline(); // the app releases after stopAndWait: the file is complete
  const added = fs.readdirSync(recordings).filter((f) => !before.has(f));
  assert.equal(added.length, 1, `one new recording (${added.join(', ')})`);
  assert.ok(added[0]!.endsWith(`.${format}`));
  return { file: path.join(recordings, added[0]!), seconds };
}

/**
 * The page's clock runs from the `recording` notice to the Stop click; the stop itself
 * (WebSocket, stopAndWait) may add up to a second on a loaded machine. The Recorder's own
 * accuracy (within 5%) is checked with exact times in test/media.
 */
function assertDuration(duration: number, seconds: number): void {
  assert.ok(duration > seconds - 0.4 && duration < seconds + 1.2, `duration ${duration} s for ${seconds.toFixed(2)} s recorded`);
}

/** Plays the last recording in the page: a picture that moves and is not black, then playEnd. */
async function playBack(page: Page, shot?: string): Promise<void> {
  await page.click('#play');
  // Half a second: a 3 s recording ends (playEnd, the page disposes its peer) soon after.
  const shown = await videoPlays(page, 'videoOutput', 15_000, 0.5);
  assert.ok(shown.luma > 10, `the recording shows a picture (luma ${shown.luma.toFixed(1)})`);
  if (shot) await page.screenshot({ path: shot });
  await statusMatches(page, /The recording ended/, 15_000);
  await noPipeline();
}

test('recorder, WEBM: the file has VP8 and Opus for the time recorded; it plays back in the page until playEnd', async () => {
  const page = await openTutorial(browser.context, app);
  const { file, seconds } = await record(page, 'webm');
  const p = await probe(file);
  assert.match(p.format, /matroska|webm/);
  assert.deepEqual(p.streams.map((s) => `${s.type}:${s.codec}`).sort(), ['audio:opus', 'video:vp8']);
  assertDuration(p.duration, seconds);
  const video = p.streams.find((s) => s.type === 'video')!;
  assert.ok(video.frames >= seconds * 10, `${video.frames} video frames decode`);
  await playBack(page, `${shots.dir}recorder.png`);
  await page.close();
});

test('recorder, MP4: the file has H.264 and Opus for the time recorded; it plays back in the page until playEnd', async () => {
  const page = await openTutorial(browser.context, app);
  const { file, seconds } = await record(page, 'mp4');
  const p = await probe(file);
  assert.match(p.format, /mp4/);
  assert.deepEqual(p.streams.map((s) => `${s.type}:${s.codec}`).sort(), ['audio:opus', 'video:h264']);
  assertDuration(p.duration, seconds);
  await playBack(page);
  // Play from a connection that recorded nothing is refused in words, and leaves nothing behind.
  const reply = await page.evaluate(() => new Promise<string>((resolve) => {
    const ws = new WebSocket(`wss://${location.host}/recording`);
    ws.onopen = () => ws.send(JSON.stringify({ id: 'play', sdpOffer: 'v=0' }));
    ws.onmessage = (e) => { resolve(String(e.data)); ws.close(); };
  }));
  assert.deepEqual(JSON.parse(reply), { id: 'error', message: 'Nothing recorded yet: press Start, then Stop, then Play' });
  await noPipeline();
  await page.close();
});
