/**
 * PlayerEndpoint through the official kurento-client@7.3.0, as the Kurento player
 * tutorial uses it: create with uri, getVideoInfo (a VideoInfo the client unmarshals),
 * play, getPosition, setPosition, pause, EndOfStream, release.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startFluo, sleep } from '../helpers/fluo.ts';
import { makeMedia } from '../helpers/playerBed.ts';
import { closeAll, openClient, type Loose } from '../helpers/kurentoClient.ts';


let fluo: Awaited<ReturnType<typeof startFluo>>;
let client: Loose;
let dir: string;
let webm: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fluo-player-client-'));
  ({ webm } = makeMedia(dir, 4, true));
  fluo = await startFluo();
  client = await openClient(fluo.url);
});
after(() => closeAll(client, () => fluo.stop(), dir));

test('the player tutorial calls: video info, play, position, seek, pause, EndOfStream', async () => {
  const pipeline = await client.create('MediaPipeline');
  const player = await pipeline.create('PlayerEndpoint', { uri: pathToFileURL(webm).href });
  const ended = new Promise<void>((resolve) => player.on('EndOfStream', () => resolve()));
  const errors: unknown[] = [];
  player.on('Error', (e: unknown) => errors.push(e));
  const info = await player.getVideoInfo();
  assert.equal(info.isSeekable, true);
  assert.ok(Math.abs(Number(info.duration) - 4000) < 300, `duration ${String(info.duration)}`);
  assert.equal(Number(info.seekableEnd), Number(info.duration));
  await player.play();
  await sleep(1000);
  const pos = Number(await player.getPosition());
  assert.ok(pos > 500 && pos < 2000, `position ${pos} ms after 1 s`);
  await player.pause();
  assert.equal(await player.getState(), 'PAUSE');
  await player.setPosition(3000);
  await player.play();
  const at = performance.now();
  await ended;
  const took = performance.now() - at;
  assert.ok(took > 600 && took < 2000, `EndOfStream ${took.toFixed(0)} ms after seeking to 3 s of 4 s`);
  assert.deepEqual(errors, []);
  assert.match(String(await player.getElementGstreamerDot()), /digraph/);
  await pipeline.release();
});
