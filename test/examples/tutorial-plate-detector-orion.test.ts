/**
 * The plate detector with Orion (FIWARE Media-Streams tutorial, issue 15 §1) in headless
 * Chromium, against the project's NGSI-v2 broker: the camera entity is registered when
 * the page starts, the plate 8886AJR read by Fluo becomes a MediaEvent entity whose
 * deviceSource is that camera, and the page shows the entities read back from the broker.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFluo, RpcClient } from '../helpers/fluo.ts';
import { launchChromium } from '../helpers/browser.ts';
import { waitFor } from '../helpers/netns.ts';
import { startTutorial, type RunningTutorial } from '../../examples/tutorials.ts';
import { plateVideoScene } from '../helpers/plateScene.ts';
import { screenshotDir, pipelineCount, openTutorial, statusMatches } from '../helpers/tutorialPages.ts';
import { NgsiBroker } from '../../src/fiware/broker/NgsiBroker.ts';

const shots = screenshotDir();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fluo-plate-orion-test-'));
const broker = new NgsiBroker();
let brokerUrl: string;
let fluo: Awaited<ReturnType<typeof startFluo>>;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let rpc: RpcClient;
let app: RunningTutorial;
before(async () => {
  const scene = plateVideoScene(dir, [{ plate: '8886AJR', seconds: 2 }], 'camera');
  brokerUrl = `http://127.0.0.1:${await broker.listen()}`;
  process.env.FIWARE_BROKER_URL = brokerUrl;
  fluo = await startFluo();
  browser = await launchChromium({ fakeVideoFile: scene.y4m() });
  rpc = await RpcClient.open(fluo.url);
  app = await startTutorial('plate-detection-orion', fluo.url, 0, '127.0.0.1');
});
after(async () => {
  try {
    await app?.stop(); await rpc?.close(); await browser?.close(); await fluo?.stop(); await broker.close();
  } finally {
    delete process.env.FIWARE_BROKER_URL;
    shots.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('plate-detection-orion: the camera and the plate 8886AJR are entities in the broker, shown in the page', { timeout: 90_000 }, async () => {
  const page = await openTutorial(browser.context, app);
  await page.click('#start');
  await statusMatches(page, /media is flowing/, 20_000);
  // Registered when the page starts, before any plate.
  await page.waitForSelector('#entities tr.camera', { timeout: 10_000 });
  await page.waitForSelector('#entities tr.mediaevent', { timeout: 30_000 });
  const rows = await page.$$eval('#entities tr.mediaevent', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
  assert.equal(rows.length, 1, JSON.stringify(rows));
  const [id, type, eventType, data, dateCreated, deviceSource] = rows[0]!;
  assert.match(id!, /^MediaEvent-PlateDetected-/);
  assert.equal(type, 'MediaEvent');
  assert.equal(eventType, 'PlateDetected');
  assert.deepEqual(JSON.parse(data!), { plate: '8886AJR' });
  assert.ok(Math.abs(Date.parse(dateCreated!) - Date.now()) < 60_000, `dateCreated ${dateCreated} is ISO 8601 and recent`);
  assert.equal(deviceSource, 'camera-1');
  // The broker itself holds them, typed as the data models say.
  const res = await fetch(`${brokerUrl}/v2/entities?type=MediaEvent`, { headers: { 'fiware-service': 'kurento' } });
  const [entity] = (await res.json()) as Array<Record<string, { type: string; value: unknown }>>;
  assert.equal(entity!.dateCreated!.type, 'DateTime');
  assert.deepEqual(entity!.deviceSource, { type: 'Relationship', value: 'camera-1', metadata: {} });
  await page.screenshot({ path: `${shots.dir}plate-detector-orion.png` });
  await page.click('#stop');
  await waitFor(async () => (await pipelineCount(rpc)) === 0, 5000, 'the pipeline released');
  await page.close();
});
