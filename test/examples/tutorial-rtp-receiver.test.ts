/**
 * The RTP receiver tutorial in headless Chromium: Start negotiates, the page shows the
 * RtpEndpoint's answer and a gst-launch-1.0 sender for its ports; the test runs that
 * command as a user would paste it, and the page shows the sender's moving picture
 * (H.264 from GStreamer, transcoded by Fluo when the browser took VP8). Stop releases it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFluo, RpcClient } from '../helpers/fluo.ts';
import { launchChromium } from '../helpers/browser.ts';
import { waitFor } from '../helpers/netns.ts';
import { GstLaunches } from '../helpers/gstreamer.ts';
import { startTutorial, type RunningTutorial } from '../../examples/tutorials.ts';
import { screenshotDir, pipelineCount, videoPlays, openTutorial, statusMatches, pictureMoves } from '../helpers/tutorialPages.ts';

const shots = screenshotDir();
const launches = new GstLaunches();
let fluo: Awaited<ReturnType<typeof startFluo>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let rpc: RpcClient;
let app: RunningTutorial;
before(async () => {
  fluo = await startFluo();
  browser = await launchChromium();
  rpc = await RpcClient.open(fluo.url);
  app = await startTutorial('rtp-receiver', fluo.url, 0, '127.0.0.1');
});
after(async () => {
  launches.killAll();
  try {
    await app.stop(); await rpc.close(); await browser.close(); await fluo.stop();
  } finally {
    shots.cleanup();
  }
});

test('rtp-receiver: the page shows the moving picture of the gst-launch sender it describes; Stop releases the pipeline', async () => {
  const page = await openTutorial(browser.context, app);
  await page.click('#start');
  await page.waitForFunction(() => /^gst-launch-1\.0 /.test(document.getElementById('gstCommand')!.textContent ?? ''), undefined, { timeout: 15_000 });
  const info = await page.$eval('#msgConnInfo', (t) => (t as HTMLTextAreaElement).value);
  assert.match(info, /Fluo listens for Video RTP at port: \d+/);
  assert.match(await page.$eval('#msgSdpText', (t) => (t as HTMLTextAreaElement).value), /m=video \d+ RTP\/AVPF? 103\n(a=rtcp:\d+\n)?a=rtpmap:103 H264\/90000/);
  const command = await page.$eval('#gstCommand', (p) => p.textContent!);
  launches.launch(command.replace(/^gst-launch-1\.0 -e /, ''));

  const shown = await videoPlays(page, 'videoRtp', 25_000);
  assert.ok(shown.luma > 10, `a picture (luma ${shown.luma.toFixed(1)})`);
  const moved = await pictureMoves(page, 'videoRtp');
  assert.ok(moved > 0.5, `the picture moves (mean change ${moved.toFixed(2)} per pixel)`);
  await statusMatches(page, /Receiving the RTP stream/);
  const codec = await page.$eval('#codec', (s) => s.textContent!);
  assert.match(codec, /video\/(VP8|H264), 640x480/);
  // The sender sends H.264: a VP8 browser gets it through Fluo's transcoder, and the page's log says so.
  if (/VP8/.test(codec)) await page.waitForFunction(() => /MediaTranscodingStateChanged.*TRANSCODING/.test(document.getElementById('log')!.textContent ?? ''), undefined, { timeout: 5000 });
  await page.screenshot({ path: `${shots.dir}rtp-receiver.png`, fullPage: true });

  await page.click('#stop');
  await waitFor(async () => (await pipelineCount(rpc)) === 0, 10_000, 'no pipeline');
  await page.close();
});
