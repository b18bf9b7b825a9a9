/**
 * The hello-world and datachannel tutorials in headless Firefox (Debian's firefox-esr, which
 * install.sh installs), driven over WebDriver BiDi (see test/helpers/firefox.ts for why not
 * playwright-core): Firefox's fake camera goes to Fluo and back, the remote video plays and
 * is not black, text comes back over the data channel, and stop leaves no pipeline.
 *
 * Not covered yet: a Firefox *viewer* (recvonly: one2many-call viewer, group-call) gets RTP
 * but never a keyframe. Firefox declares its own SSRC in recvonly m-sections, and werift
 * routes a PLI by its sender SSRC first, to the RTCRtpReceiver, so Fluo's sender never
 * sees the request (the endpoint's outbound pliCount stays 0 while Firefox's grows).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startFluo, RpcClient } from '../helpers/fluo.ts';
import { waitFor } from '../helpers/netns.ts';
import { launchFirefox, firefoxAvailable, FIREFOX_PATH, type FirefoxBrowser, type FirefoxPage } from '../helpers/firefox.ts';
import { startTutorial, type RunningTutorial } from '../../examples/tutorials.ts';

const skip = firefoxAvailable() ? false : `no Firefox at ${FIREFOX_PATH} (bash install.sh installs firefox-esr)`;

let fluo: Awaited<ReturnType<typeof startFluo>>;
let browser: FirefoxBrowser;
let rpc: RpcClient;
before(async () => {
  if (skip) return;
  fluo = await startFluo();
  browser = await launchFirefox();
  rpc = await RpcClient.open(fluo.url);
});
after(async () => {
  if (skip) return;
  await rpc?.close();
  await browser?.close();
  await fluo?.stop();
});

async function pipelines(): Promise<number> {
  return ((await rpc.ok('invoke', { object: 'manager_ServerManager', operation: 'getPipelines' })).value as string[]).length;
}

/** Waits until a <video> advances and shows a picture that is not black (as the Chromium test). */
async function videoPlays(page: FirefoxPage, id: string): Promise<{ time: number; luma: number }> {
  await page.waitFor((vid) => {
    const v = document.getElementById(vid) as HTMLVideoElement;
    return v.currentTime > 1 && v.videoWidth > 0;
  }, id, 20_000, `#${id} to play`);
  return page.evaluate((vid) => {
    const v = document.getElementById(vid) as HTMLVideoElement;
    const c = document.createElement('canvas');
    c.width = 64; c.height = 48;
    const g = c.getContext('2d')!;
    g.drawImage(v, 0, 0, 64, 48);
    const d = g.getImageData(0, 0, 64, 48).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += (d[i]! + d[i + 1]! + d[i + 2]!) / 3;
    return { time: v.currentTime, luma: sum / (d.length / 4) };
  }, id);
}

function statusMatches(page: FirefoxPage, pattern: string, timeoutMs = 10_000): Promise<void> {
  return page.waitFor((src) => new RegExp(src).test(document.getElementById('status')!.textContent ?? ''), pattern, timeoutMs, `status /${pattern}/`);
}

async function open(app: RunningTutorial): Promise<FirefoxPage> {
  const page = await browser.newPage();
  await page.goto(`https://127.0.0.1:${app.port}/`);
  await statusMatches(page, 'Connected to the application server');
  return page;
}

test('firefox hello-world: the camera comes back from Fluo; stop and closing the tab release the pipeline', { skip }, async () => {
  const app = await startTutorial('hello-world', fluo.url, 0, '127.0.0.1');
  try {
    const page = await open(app);
    await page.click('#start');
    const first = await videoPlays(page, 'videoOutput');
    assert.ok(first.luma > 10, `the returned picture is not black (mean luma ${first.luma.toFixed(1)})`);
    await statusMatches(page, 'media is flowing');
    // currentTime keeps advancing: frames keep arriving, not one decoded frame.
    await new Promise((r) => setTimeout(r, 1000));
    const later = await videoPlays(page, 'videoOutput');
    assert.ok(later.time > first.time + 0.5, `the video advances (${first.time.toFixed(2)} s, then ${later.time.toFixed(2)} s)`);
    assert.equal(await pipelines(), 1);
    await page.click('#stop');
    await waitFor(async () => (await pipelines()) === 0, 5000, 'no pipeline');
    // Closing the tab (beforeunload sends stop) releases what the user had.
    await page.click('#start');
    await videoPlays(page, 'videoOutput');
    await page.close();
    await waitFor(async () => (await pipelines()) === 0, 5000, 'no pipeline');
  } finally {
    await app.stop();
  }
});

test('firefox datachannel: text typed in the page comes back over the data channel', { skip }, async () => {
  const app = await startTutorial('datachannel', fluo.url, 0, '127.0.0.1');
  try {
    const page = await open(app);
    await page.click('#start');
    await videoPlays(page, 'videoOutput');
    await page.waitFor(() => !(document.getElementById('send') as HTMLButtonElement).disabled, null, 15_000, 'the data channel to open');
    for (const text of ['hello Fluo', 'second message']) {
      await page.fill('#text', text);
      await page.click('#send');
    }
    await page.waitFor(() => document.querySelectorAll('#received .echo').length >= 2, null, 10_000, 'two echoes');
    const echoes = await page.evaluate(() => [...document.querySelectorAll('#received .echo')].map((e) => e.textContent), null);
    assert.deepEqual(echoes, ['hello Fluo', 'second message']);
    await page.click('#stop');
    await waitFor(async () => (await pipelines()) === 0, 5000, 'no pipeline');
    await page.close();
  } finally {
    await app.stop();
  }
});
