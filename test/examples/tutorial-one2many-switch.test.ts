/**
 * one2many-switch in headless Chromium: two presenters whose fake cameras show
 * different colours (two browsers, each with its own Y4M scene), one viewer. Switching
 * presenter changes the viewer's picture within 2 s while its <video> keeps playing the
 * same inbound stream (one SSRC, no renegotiation, no decoder error); the source leaving
 * hands the viewers to the other presenter; everyone gone releases the pipeline.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startFluo, RpcClient } from '../helpers/fluo.ts';
import { launchChromium } from '../helpers/browser.ts';
import { renderScene, SCENE } from '../helpers/filterMedia.ts';
import { waitFor } from '../helpers/netns.ts';
import { startTutorial, type RunningTutorial } from '../../examples/tutorials.ts';
import { pipelineCount, videoPlays, openTutorial, statusMatches } from '../helpers/tutorialPages.ts';

const media = mkdtempSync(join(tmpdir(), 'fluo-one2many-switch-test-'));
/** A reddish or bluish camera with a moving white bar, so the encoder keeps sending. */
const camera = (name: string, colour: string) => renderScene(media, {
  name, seconds: 2, y4mSeconds: 2,
  filter: `color=c=${colour}:s=${SCENE.width}x${SCENE.height}:r=${SCENE.fps}[bg];color=c=white:s=40x${SCENE.height}:r=${SCENE.fps}[bar];[bg][bar]overlay=x='mod(300*t,${SCENE.width})':y=0[v]`,
}).y4m();
let fluo: Awaited<ReturnType<typeof startFluo>>;
let red: Awaited<ReturnType<typeof launchChromium>>;
let blue: Awaited<ReturnType<typeof launchChromium>>;
let rpc: RpcClient;
let app: RunningTutorial;
before(async () => {
  fluo = await startFluo();
  red = await launchChromium({ fakeVideoFile: camera('red-camera', '0xc02020') });
  blue = await launchChromium({ fakeVideoFile: camera('blue-camera', '0x2020c0') });
  rpc = await RpcClient.open(fluo.url);
  app = await startTutorial('one2many-switch', fluo.url, 0, '127.0.0.1');
});
after(async () => {
  try {
    await app.stop(); await rpc.close(); await red.close(); await blue.close(); await fluo.stop();
  } finally {
    rmSync(media, { recursive: true, force: true });
  }
});

/** Runs in the page: red minus blue of the <video>'s mean colour (positive: the red camera). */
function redness(): number {
  const v = document.getElementById('video') as HTMLVideoElement;
  const c = document.createElement('canvas');
  c.width = 64; c.height = 48;
  const g = c.getContext('2d')!;
  g.drawImage(v, 0, 0, 64, 48);
  const d = g.getImageData(0, 0, 64, 48).data;
  let diff = 0;
  for (let i = 0; i < d.length; i += 4) diff += d[i]! - d[i + 2]!;
  return diff / (d.length / 4);
}

/** Runs in the page: the viewer's inbound video streams (kurento-utils' peer is the page's `webRtcPeer`) and its <video>'s state. */
async function viewerState(): Promise<{ ssrcs: number[]; frames: number; time: number; error: boolean; signaling: string }> {
  const pc = (window as unknown as { webRtcPeer: { peerConnection: RTCPeerConnection } }).webRtcPeer.peerConnection;
  const inbound: Array<{ ssrc: number; framesDecoded: number }> = [];
  (await pc.getStats()).forEach((s: { type: string; kind: string; ssrc: number; framesDecoded: number }) => { if (s.type === 'inbound-rtp' && s.kind === 'video') inbound.push(s); });
  const v = document.getElementById('video') as HTMLVideoElement;
  return { ssrcs: inbound.map((s) => s.ssrc), frames: inbound.reduce((n, s) => n + s.framesDecoded, 0), time: v.currentTime, error: v.error !== null, signaling: pc.signalingState };
}

async function present(browser: typeof red, n: number): Promise<Page> {
  const page = await openTutorial(browser.context, app);
  await page.click('#presenter');
  await statusMatches(page, new RegExp(`You are presenting as presenter ${n}\\.`), 15_000);
  return page;
}

/** Waits until the viewer shows the red camera or the blue one (sampled every 50 ms). */
async function shows(viewer: Page, wantRed: boolean, timeout = 5_000): Promise<void> {
  await waitFor(async () => {
    const r = await viewer.evaluate(redness);
    return wantRed ? r > 40 : r < -40;
  }, timeout, `the viewer showing the ${wantRed ? 'red' : 'blue'} camera`);
}

/** Clicks `button` in `page`, then waits until the viewer's picture has the other camera's colour; the time it took. */
async function switchTo(page: Page, button: string, viewer: Page, wantRed: boolean): Promise<number> {
  await page.waitForSelector(`${button}:not([disabled])`);
  const t0 = performance.now();
  await page.click(button);
  await shows(viewer, wantRed);
  return performance.now() - t0;
}

test('one2many-switch: switching presenter changes the viewer\'s picture within 2 s on the same stream; the source leaving hands over', async () => {
  const one = await present(red, 1);
  const two = await present(blue, 2);
  const viewer = await openTutorial(red.context, app);
  await viewer.click('#viewer');
  await videoPlays(viewer, 'video');
  await viewer.waitForFunction(() => /Presenter 1 \(shown\)/.test(document.getElementById('presenters')!.textContent ?? ''));
  assert.ok(await viewer.evaluate(redness) > 40, 'the viewer sees presenter 1, the red camera');
  const start = await viewer.evaluate(viewerState);
  const startedAt = performance.now();
  assert.equal(start.ssrcs.length, 1, 'one inbound video stream');

  const toBlue = await switchTo(viewer, '#show-2', viewer, false);
  const toRed = await switchTo(two, '#show-1', viewer, true); // any page may switch
  console.log(`# the viewer's picture changed ${Math.round(toBlue)} ms and ${Math.round(toRed)} ms after the switch`);
  assert.ok(toBlue < 2000 && toRed < 2000, `switches shown in ${Math.round(toBlue)} and ${Math.round(toRed)} ms`);
  await new Promise((r) => setTimeout(r, 1500));
  const end = await viewer.evaluate(viewerState);
  const wall = (performance.now() - startedAt) / 1000;
  assert.deepEqual(end.ssrcs, start.ssrcs, 'the same inbound stream (no renegotiation)');
  assert.equal(end.signaling, 'stable');
  // Playback time keeps up with the clock across both switches: no stall, no restart.
  assert.ok(end.time - start.time > 0.8 * wall && end.frames - start.frames > 10 * wall, `the video kept playing over ${wall.toFixed(1)} s (${JSON.stringify({ start, end })})`);
  assert.equal(end.error, false, 'no decoder error');

  // The shown presenter leaves: the viewer gets the other one.
  await one.close();
  await viewer.waitForFunction(() => /Presenter 2 \(shown\)/.test(document.getElementById('presenters')!.textContent ?? ''));
  await shows(viewer, false);

  await viewer.close();
  await two.close();
  await waitFor(async () => (await pipelineCount(rpc)) === 0, 10_000, 'the pipeline released');
});
