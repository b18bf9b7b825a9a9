/**
 * The tutorials as users see them, in headless Chromium with a fake camera: the remote
 * video plays and is not black, data comes back over the data channel, and after
 * hang-up no pipeline remains on the server (checked through ServerManager).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startFluo, RpcClient } from '../helpers/fluo.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startTutorial, type RunningTutorial } from '../../examples/tutorials.ts';
import { waitFor as waitUntil } from '../helpers/netns.ts';
import { screenshotDir, pipelineCount, videoPlays, openTutorial } from '../helpers/tutorialPages.ts';

const { dir: SHOTS, cleanup: cleanupShots } = screenshotDir();
let fluo: Awaited<ReturnType<typeof startFluo>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let rpc: RpcClient;
before(async () => {
  fluo = await startFluo();
  browser = await launchChromium();
  rpc = await RpcClient.open(fluo.url);
});
after(async () => {
  try {
    await rpc.close(); await browser.close(); await fluo.stop();
  } finally {
    cleanupShots();
  }
});

const pipelines = (): Promise<number> => pipelineCount(rpc);

/** Elements in all pipelines, as ServerManager and getChildren see them. */
async function elements(): Promise<number> {
  const ps = (await rpc.ok('invoke', { object: 'manager_ServerManager', operation: 'getPipelines' })).value as string[];
  let n = 0;
  for (const p of ps) n += ((await rpc.ok('invoke', { object: p, operation: 'getChildren' })).value as string[]).length;
  return n;
}

const open = (app: RunningTutorial, query = ''): Promise<Page> => openTutorial(browser.context, app, query);

test('hello-world: the camera comes back from Fluo; stop releases the pipeline', async () => {
  const app = await startTutorial('hello-world', fluo.url, 0, '127.0.0.1');
  try {
    const page = await open(app);
    await page.click('#start');
    const shown = await videoPlays(page, 'videoOutput');
    assert.ok(shown.luma > 10, `the returned picture is not black (mean luma ${shown.luma.toFixed(1)})`);
    await page.waitForFunction(() => /media is flowing/.test(document.getElementById('status')!.textContent ?? ''));
    assert.equal(await pipelines(), 1);
    await page.screenshot({ path: `${SHOTS}hello-world.png` });
    await page.click('#stop');
    await waitFor(async () => (await pipelines()) === 0, 5000);
    // A malformed message gets an error in words; the app keeps serving.
    const reply = await page.evaluate(() => new Promise<string>((resolve) => {
      const ws = new WebSocket(`wss://${location.host}/helloworld`);
      ws.onopen = () => ws.send('{"id": "start"}');
      ws.onmessage = (e) => { resolve(String(e.data)); ws.close(); };
    }));
    assert.deepEqual(JSON.parse(reply), { id: 'error', message: 'start needs an sdpOffer string' });
    // Closing the tab releases what the user had.
    await page.click('#start');
    await videoPlays(page, 'videoOutput');
    await page.close();
    await waitFor(async () => (await pipelines()) === 0, 5000);
  } finally {
    await app.stop();
  }
});

test('hello-world-typed: the same page through the typed client; stop and closing the tab release the pipeline', async () => {
  const app = await startTutorial('hello-world-typed', fluo.url, 0, '127.0.0.1');
  try {
    const page = await open(app);
    await page.click('#start');
    const shown = await videoPlays(page, 'videoOutput');
    assert.ok(shown.luma > 10, `the returned picture is not black (mean luma ${shown.luma.toFixed(1)})`);
    assert.equal(await pipelines(), 1);
    await page.click('#stop');
    await waitFor(async () => (await pipelines()) === 0, 5000);
    await page.click('#start');
    await videoPlays(page, 'videoOutput');
    await page.close();
    await waitFor(async () => (await pipelines()) === 0, 5000);
  } finally {
    await app.stop();
  }
});

test('datachannel: text typed in the page comes back over the data channel', async () => {
  const app = await startTutorial('datachannel', fluo.url, 0, '127.0.0.1');
  try {
    const page = await open(app);
    await page.click('#start');
    await videoPlays(page, 'videoOutput');
    await page.waitForFunction(() => !(document.getElementById('send') as HTMLButtonElement).disabled, undefined, { timeout: 15_000 });
    for (const text of ['hello Fluo', 'second message']) {
      await page.fill('#text', text);
      await page.click('#send');
    }
    await page.waitForFunction(() => document.querySelectorAll('#received .echo').length >= 2, undefined, { timeout: 10_000 });
    const echoes = await page.$$eval('#received .echo', (els) => els.map((e) => e.textContent));
    assert.deepEqual(echoes, ['hello Fluo', 'second message']);
    await page.screenshot({ path: `${SHOTS}datachannel.png` });
    await page.click('#stop');
    await waitFor(async () => (await pipelines()) === 0, 5000);
    await page.close();
  } finally {
    await app.stop();
  }
});

test('one2many-call: two viewers see the presenter; a late viewer too; closing or reloading a tab releases that viewer; presenter stop ends it for all', async () => {
  const app = await startTutorial('one2many-call', fluo.url, 0, '127.0.0.1');
  try {
    const presenter = await open(app);
    await presenter.click('#presenter');
    await presenter.waitForFunction(() => /You are presenting/.test(document.getElementById('status')!.textContent ?? ''), undefined, { timeout: 15_000 });
    const viewers = [await open(app), await open(app)];
    for (const v of viewers) await v.click('#viewer');
    for (const v of viewers) {
      const shown = await videoPlays(v, 'video');
      assert.ok(shown.luma > 10, `viewer sees a picture (luma ${shown.luma.toFixed(1)})`);
    }
    // A second presenter is refused in words.
    const other = await open(app);
    await other.click('#presenter');
    await other.waitForFunction(() => /Another user is currently acting as presenter/.test(document.getElementById('status')!.textContent ?? ''), undefined, { timeout: 10_000 });
    await other.close();
    // A late viewer gets a picture within 2 s of its answer (keyframe request).
    const late = await open(app);
    await late.click('#viewer');
    await late.waitForFunction(() => /watching/.test(document.getElementById('status')!.textContent ?? ''), undefined, { timeout: 10_000 });
    const t0 = Date.now();
    await late.waitForFunction(() => (document.getElementById('video') as HTMLVideoElement).videoWidth > 0, undefined, { timeout: 5_000 });
    const lateMs = Date.now() - t0;
    assert.ok(lateMs < 2000, `late viewer picture after ${lateMs} ms`);
    await viewers[0]!.screenshot({ path: `${SHOTS}one2many-call.png` });
    // Closing a viewer's tab, or reloading it, releases that viewer's endpoint only.
    assert.equal(await elements(), 4, 'presenter and three viewers');
    await viewers[1]!.close();
    await waitFor(async () => (await elements()) === 3, 5000);
    await viewers[0]!.reload();
    await waitFor(async () => (await elements()) === 2, 5000);
    const shown = await videoPlays(late, 'video');
    assert.ok(shown.luma > 10, 'the other viewer still sees the presenter');
    await presenter.click('#stop');
    await late.waitForFunction(() => /presenter stopped/.test(document.getElementById('status')!.textContent ?? ''), undefined, { timeout: 10_000 });
    await waitFor(async () => (await pipelines()) === 0, 5000);
    for (const p of [presenter, viewers[0]!, late]) await p.close();
  } finally {
    await app.stop();
  }
});

test('loopback-stats: the page shows Fluo\'s non-zero inbound packets next to the browser\'s, refreshed', async () => {
  const app = await startTutorial('loopback-stats', fluo.url, 0, '127.0.0.1');
  try {
    const page = await open(app);
    await page.click('#start');
    await videoPlays(page, 'videoOutput');
    const cell = () => page.$eval('#stats tr[data-key="packetsReceived"] td:nth-child(2)', (td) => Number(td.textContent));
    await page.waitForFunction(() => Number(document.querySelector('#stats tr[data-key="packetsReceived"] td:nth-child(2)')?.textContent ?? 0) > 0, undefined, { timeout: 10_000 });
    const first = await cell();
    await new Promise((r) => setTimeout(r, 2200));
    assert.ok((await cell()) > first, 'Fluo figures refresh and grow');
    const browserCol = await page.$eval('#stats tr[data-key="packetsReceived"] td:nth-child(3)', (td) => Number(td.textContent));
    assert.ok(browserCol > 0, 'browser figures shown too');
    // The REMB rows Kurento's page shows (issue 14: they read 0 in both directions).
    const row = (key: string) => page.$eval(`#stats tr[data-key="${key}"] td:nth-child(2)`, (td) => Number(td.textContent));
    await page.waitForFunction(() => ['rembSent', 'rembReceived', 'targetBitrate'].every((k) => Number(document.querySelector(`#stats tr[data-key="${k}"] td:nth-child(2)`)?.textContent ?? 0) > 0), undefined, { timeout: 10_000 });
    assert.ok((await row('rembSent')) >= 30_000, 'REMB sent: at least the 30 kbps floor');
    // targetBitrate is, as in KMS, the rate measured at the sender: the camera's stream
    // sent back, which the REMB chain keeps near maxVideoSendBandwidth (500 kbps);
    // keyframes overshoot a measured rate for a moment.
    assert.ok((await row('targetBitrate')) <= 750_000, `measured send rate ${await row('targetBitrate')} bps, near maxVideoSendBandwidth (500 kbps)`);
    await page.screenshot({ path: `${SHOTS}loopback-stats.png`, fullPage: true });
    await page.click('#stop');
    await waitFor(async () => (await pipelines()) === 0, 5000);
    await page.close();
  } finally {
    await app.stop();
  }
});

test('one2one-call: two registered users call each other and see each other; hang-up ends both', async () => {
  const app = await startTutorial('one2one-call', fluo.url, 0, '127.0.0.1');
  try {
    const alice = await open(app);
    const bob = await open(app, '?autoanswer');
    for (const [page, name] of [[alice, 'alice'], [bob, 'bob']] as const) {
      await page.fill('#name', name);
      await page.click('#register');
      await page.waitForFunction(() => /Registered as/.test(document.getElementById('status')!.textContent ?? ''));
    }
    // A second "bob" is refused in words.
    const other = await open(app);
    await other.fill('#name', 'bob');
    await other.click('#register');
    await other.waitForFunction(() => /already registered/.test(document.getElementById('status')!.textContent ?? ''));
    await other.close();
    await alice.fill('#peer', 'bob');
    await alice.click('#call');
    for (const page of [alice, bob]) {
      const shown = await videoPlays(page, 'videoOutput');
      assert.ok(shown.luma > 10, `each sees the other (luma ${shown.luma.toFixed(1)})`);
    }
    assert.equal(await pipelines(), 1);
    await alice.screenshot({ path: `${SHOTS}one2one-call.png` });
    await alice.click('#stop');
    await bob.waitForFunction(() => /The call ended/.test(document.getElementById('status')!.textContent ?? ''), undefined, { timeout: 10_000 });
    await waitFor(async () => (await pipelines()) === 0, 5000);
    await alice.close();
    await bob.close();
  } finally {
    await app.stop();
  }
});

test('group-call: three people in a room each see the two others; leaving updates the others; empty room releases', async () => {
  const app = await startTutorial('group-call', fluo.url, 0, '127.0.0.1');
  try {
    const pages: Page[] = [];
    for (const name of ['ann', 'ben', 'cyd']) {
      const page = await open(app);
      await page.fill('#name', name);
      await page.click('#join');
      await page.waitForFunction(() => /In room/.test(document.getElementById('status')!.textContent ?? ''));
      pages.push(page);
    }
    const remotePlaying = (page: Page, n: number) => page.waitForFunction((count) => {
      const vids = [...document.querySelectorAll('#participants figure')].filter((f) => !/\(you\)/.test(f.textContent ?? '')).map((f) => f.querySelector('video')!);
      return vids.length === count && vids.every((v) => v.currentTime > 0.5 && v.videoWidth > 0);
    }, n, { timeout: 20_000 });
    for (const page of pages) await remotePlaying(page, 2);
    await pages[0]!.screenshot({ path: `${SHOTS}group-call.png` });
    await pages[2]!.click('#leave');
    for (const page of pages.slice(0, 2)) await page.waitForFunction(() => document.querySelectorAll('#participants figure').length === 2, undefined, { timeout: 10_000 });
    assert.equal(await pipelines(), 1);
    for (const page of pages) await page.close();
    await waitFor(async () => (await pipelines()) === 0, 5000);
  } finally {
    await app.stop();
  }
});

const waitFor = (pred: () => Promise<boolean>, ms: number): Promise<void> => waitUntil(pred, ms, 'condition');
