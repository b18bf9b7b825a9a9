/**
 * The datachannelexample module's tutorials (Kurento's Show DataChannel, Send
 * DataChannel and Metadata) in headless Chromium, the astronaut's face as the fake
 * camera; each app registers kurento-module-datachannelexample as Kurento's do:
 * - show-data-channel: text typed in the page comes back drawn on the video (read with
 *   tesseract from the page's <video>) and, passed on by KmsShowData, as a message;
 * - send-data-channel: the QR code of the video Fluo plays arrives in the page over the
 *   data channel, as KmsSendData words it;
 * - metadata: the face in the video back from Fluo is outlined in green.
 * Stop releases each pipeline.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { startFluo, RpcClient } from '../helpers/fluo.ts';
import { launchChromium } from '../helpers/browser.ts';
import { waitFor } from '../helpers/netns.ts';
import { faceScene } from '../helpers/filterMedia.ts';
import { startTutorial, type RunningTutorial } from '../../examples/tutorials.ts';
import { SAMPLE_CODE } from '../../examples/send-data-channel/server.ts';
import { screenshotDir, pipelineCount, videoPlays, openTutorial } from '../helpers/tutorialPages.ts';

const shots = screenshotDir();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-datachannel-tutorials-test-'));
let fluo: Awaited<ReturnType<typeof startFluo>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let rpc: RpcClient;
const apps: RunningTutorial[] = [];
before(async () => {
  const camera = faceScene(dir, 4).y4m();
  fluo = await startFluo();
  browser = await launchChromium({ fakeVideoFile: camera });
  rpc = await RpcClient.open(fluo.url);
});
after(async () => {
  try {
    for (const a of apps) await a.stop();
    await rpc?.close(); await browser?.close(); await fluo?.stop();
  } finally {
    shots.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

async function app(name: string): Promise<RunningTutorial> {
  const a = await startTutorial(name, fluo.url, 0, '127.0.0.1');
  apps.push(a);
  return a;
}

/**
 * Runs in the page: the remote video's top quarter (where KmsShowData writes) as a PNG
 * data URL, its near-white pixels black and the rest white: the overlay's white letters
 * alone, which tesseract reads where the camera's picture behind them would confuse it.
 */
function topQuarter(): string {
  const v = document.getElementById('videoOutput') as HTMLVideoElement;
  const c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = Math.floor(v.videoHeight / 4);
  const g = c.getContext('2d')!;
  g.drawImage(v, 0, 0);
  const img = g.getImageData(0, 0, c.width, c.height);
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) {
    const ink = d[i]! > 225 && d[i + 1]! > 225 && d[i + 2]! > 225 ? 0 : 255;
    d[i] = d[i + 1] = d[i + 2] = ink;
  }
  g.putImageData(img, 0, 0);
  return c.toDataURL('image/png');
}

/** What tesseract reads in the page's remote video, top quarter. */
async function readTop(page: Page): Promise<string> {
  const file = path.join(dir, 'top.png');
  fs.writeFileSync(file, Buffer.from((await page.evaluate(topQuarter)).split(',')[1]!, 'base64'));
  return execFileSync('tesseract', [file, '-', '--psm', '6'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
}

/** Runs in the page: how many pixels of the remote video are the outline's green. */
function greenPixels(): number {
  const v = document.getElementById('videoOutput') as HTMLVideoElement;
  const c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d')!;
  g.drawImage(v, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i]! < 80 && d[i + 1]! > 175 && d[i + 2]! < 80) n++;
  return n;
}

/** Opens a tutorial, runs `body` on its page, then Stop must release the pipeline (tried after a failure too). */
async function withPage(name: string, body: (page: Page) => Promise<void>): Promise<void> {
  const page = await openTutorial(browser.context, await app(name));
  try {
    await body(page);
  } catch (err) {
    await page.screenshot({ path: `${shots.dir}${name}-failed.png` }).catch(() => undefined);
    if (process.env.FLUO_KEEP_MEDIA) await page.screenshot({ path: path.join(os.tmpdir(), `${name}-failed.png`) }).catch(() => undefined);
    throw err;
  } finally {
    await page.click('#stop').catch(() => undefined);
    await waitFor(async () => (await pipelineCount(rpc)) === 0, 5000, 'the pipeline released');
    await page.close();
  }
}

test('show-data-channel: text typed in the page comes back drawn on the video, and as a message', async () => {
  await withPage('show-data-channel', async (page) => {
    await page.click('#start');
    await videoPlays(page, 'videoOutput');
    await page.waitForFunction(() => !(document.getElementById('text') as HTMLInputElement).disabled, undefined, { timeout: 10_000 });
    await page.fill('#text', 'FLUO TUTORIAL');
    await page.click('#send');
    let read = '';
    await waitFor(async () => (read = await readTop(page)).includes('FLUO TUTORIAL'), 15_000, 'the text on the video')
      .catch((e: Error) => assert.fail(`${e.message}; tesseract read "${read}"`));
    await page.waitForFunction(() => document.getElementById('received')!.textContent!.includes('FLUO TUTORIAL'), undefined, { timeout: 5000 });
    await page.screenshot({ path: `${shots.dir}show-data-channel.png` });
  });
});

test('send-data-channel: the played video\'s QR code arrives in the page over the data channel', async () => {
  await withPage('send-data-channel', async (page) => {
    await page.click('#start');
    await videoPlays(page, 'videoOutput');
    const code = await page.waitForFunction(() => document.querySelector('#received .code')?.textContent, undefined, { timeout: 15_000 });
    assert.match(String(await code.jsonValue()), new RegExp(`^Code detected in time \\d+, type QR-Code, symbol ${SAMPLE_CODE.replace(/[.]/g, '\\.')}$`));
    await page.screenshot({ path: `${shots.dir}send-data-channel.png` });
  });
});

test('metadata: the face in the video back from Fluo is outlined in green', async () => {
  await withPage('metadata', async (page) => {
    await page.click('#start');
    await videoPlays(page, 'videoOutput');
    await waitFor(async () => (await page.evaluate(greenPixels)) > 300, 15_000, 'the green outline');
    await page.screenshot({ path: `${shots.dir}metadata.png` });
    assert.equal(await pipelineCount(rpc), 1);
  });
});
