/**
 * PlayerEndpoint (issue 11 §5) from file:// URIs to a libwebrtc viewer: frames decoded,
 * EndOfStream at the file's duration, video info, seek, pause and resume, errors that
 * name the URI. Pass-through, recorder and release: player-formats.test.ts. Test media
 * are made with gst-launch (test/helpers/playerBed.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sleep } from '../helpers/fluo.ts';
import { until } from '../helpers/RemotePeers.ts';
import { makeMedia, PlayerBed } from '../helpers/playerBed.ts';

const bed = new PlayerBed();
let webm: string;
const { value, create, invoke, subscribe, eventsOf, frames, player, done } = bed;

before(async () => {
  ({ webm } = makeMedia(bed.dir, 6, true));
  await bed.start();
});
after(() => bed.stop());

test('file:// WebM to a WebRTC viewer: frames, video info, EndOfStream at the duration, state events', async () => {
  const k = await player(pathToFileURL(webm).href);
  const info = await invoke(k.player, 'getVideoInfo') as Record<string, unknown>;
  assert.equal(info.isSeekable, true);
  assert.ok(Math.abs(Number(info.duration) - 6000) <= 300, `duration ${String(info.duration)} ms for a 6 s file`);
  await invoke(k.player, 'play');
  const started = performance.now();
  await until(async () => (await frames(k.viewer)) > 30, 10_000, 'frames at the viewer');
  assert.equal(await invoke(k.player, 'getState'), 'START');
  await until(() => eventsOf(k.player, 'EndOfStream').length > 0, 15_000, 'EndOfStream');
  const took = (eventsOf(k.player, 'EndOfStream')[0]!.at - started) / 1000;
  assert.ok(took > 5.4 && took < 7.5, `EndOfStream ${took.toFixed(2)} s after play for a 6 s file (paced in real time)`);
  const decoded = await frames(k.viewer);
  assert.ok(decoded > 120, `${decoded} frames decoded of 180`);
  assert.deepEqual(eventsOf(k.player, 'Error'), []);
  // STOP follows EndOfStream once the play's engine pipeline is torn down, which a loaded
  // machine may take a moment over.
  await until(() => eventsOf(k.player, 'UriEndpointStateChanged').length >= 2, 5_000, 'the STOP state after EndOfStream');
  assert.deepEqual(eventsOf(k.player, 'UriEndpointStateChanged').map((e) => e.data.state), ['START', 'STOP']);
  assert.ok(eventsOf(k.player, 'MediaFlowOutStateChanged').some((e) => e.data.state === 'FLOWING' && e.data.mediaType === 'VIDEO'));
  // At the end the play's engine pipeline is freed: the element's DOT says so.
  assert.match(String(await invoke(k.player, 'getElementGstreamerDot')), /no engine pipeline/);
  await done(k);
});

test('pause stops the frames, play resumes; stop, then play from the start; setPosition moves getPosition; EndOfStream after the rest', async () => {
  const k = await player(pathToFileURL(webm).href);
  const played = performance.now();
  await invoke(k.player, 'play');
  await until(async () => (await frames(k.viewer)) > 10, 10_000, 'frames at the viewer');
  console.log(`# frames at the viewer ${Math.round(performance.now() - played)} ms after the first play`);
  await until(async () => (await frames(k.viewer)) > 20, 10_000, 'frames at the viewer');
  assert.match(String(await invoke(k.player, 'getElementGstreamerDot')), /enc_video/, 'the element DOT shows its encoder');
  await invoke(k.player, 'pause');
  assert.equal(await invoke(k.player, 'getState'), 'PAUSE');
  await sleep(300);
  const paused = await frames(k.viewer);
  const posPaused = Number(await invoke(k.player, 'getPosition'));
  await sleep(1000);
  assert.ok((await frames(k.viewer)) - paused <= 3, 'no frames while paused');
  assert.ok(Math.abs(Number(await invoke(k.player, 'getPosition')) - posPaused) < 100, 'the position holds while paused');
  await invoke(k.player, 'play');
  await until(async () => (await frames(k.viewer)) > paused + 20, 5_000, 'frames again after play');
  // stop: no frames, STOP; the next play starts from the beginning (KMD UriEndpoint), and
  // its picture comes as soon as a first play's.
  await invoke(k.player, 'stop');
  assert.equal(await invoke(k.player, 'getState'), 'STOP');
  await sleep(300);
  const stopping = await frames(k.viewer);
  await sleep(700);
  const stopped = await frames(k.viewer);
  await sleep(700);
  const afterStop = (await frames(k.viewer)) - stopped;
  console.log(`# frames at the viewer after stop: ${stopped - stopping} in 0.3-1.0 s, ${afterStop} in 1.0-1.7 s`);
  assert.ok(afterStop <= 3, `no frames while stopped: ${afterStop} in 700 ms`);
  await invoke(k.player, 'play');
  const restarted = Number(await invoke(k.player, 'getPosition'));
  assert.ok(restarted < 500, `play after stop starts from the beginning: position ${restarted} ms`);
  const replayed = performance.now();
  await until(async () => (await frames(k.viewer)) > stopped + 10, 5_000, 'frames again after stop and play');
  const replayMs = Math.round(performance.now() - replayed);
  console.log(`# frames at the viewer again ${replayMs} ms after play that followed stop`);
  // Before the pause kept the RTP clock on wall time (PlayerEndpointNode #resume), the
  // viewer held these frames about 2.5 s: they looked early by the paused time.
  assert.ok(replayMs < 2000, `the picture is back ${replayMs} ms after play`);
  await invoke(k.player, 'setPosition', { position: 4000 });
  const pos = Number(await invoke(k.player, 'getPosition'));
  assert.ok(pos >= 3500 && pos < 5000, `position ${pos} ms after setPosition(4000)`);
  const seeked = performance.now();
  const before = await frames(k.viewer);
  await until(() => eventsOf(k.player, 'EndOfStream').length > 0, 8_000, 'EndOfStream after the seek');
  const took = (eventsOf(k.player, 'EndOfStream')[0]!.at - seeked) / 1000;
  assert.ok(took > 1.4 && took < 3, `EndOfStream ${took.toFixed(2)} s after seeking to 4 s of 6 s`);
  assert.ok((await frames(k.viewer)) - before > 30, 'frames after the seek');
  assert.deepEqual(eventsOf(k.player, 'Error'), []);
  await done(k);
});

test('a missing file, a file that is not media: Error naming the URI, the element stays usable', async () => {
  const P = await create('MediaPipeline', {});
  const missing = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(join(bed.dir, 'nope.webm')).href });
  await subscribe(missing, 'Error');
  const r1 = await bed.request(missing, 'play');
  assert.equal(r1.error?.code, 40600);
  assert.match(String(r1.error?.message), /nope\.webm: the file does not exist/);
  await until(() => eventsOf(missing, 'Error').length > 0, 2000, 'Error event');
  assert.equal(eventsOf(missing, 'Error')[0]!.data.errorCode, 40600);
  assert.equal(await invoke(missing, 'getState'), 'STOP');
  const text = join(bed.dir, 'notes.webm');
  writeFileSync(text, 'this is not a video\n'.repeat(100));
  const junk = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(text).href });
  const r2 = await bed.request(junk, 'play');
  assert.ok(r2.error, 'play of a text file fails');
  assert.match(String(r2.error?.message), /notes\.webm/);
  const r3 = await bed.request(missing, 'setPosition', { position: 1000 });
  assert.equal(r3.error?.code, 40700);
  await value('release', { object: missing });
  await value('release', { object: junk });
  await value('release', { object: P });
});

