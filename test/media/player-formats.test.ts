/**
 * PlayerEndpoint (issue 11 §5), formats and lifetime: pass-through with useEncodedMedia
 * (VP8/Opus WebM, H.264 MP4) and decoding without it, a RecorderEndpoint with
 * stopOnEndOfStream that stops by itself at the end of the file, and release (while
 * playing, while starting) leaving no socket in the workers and no bin in the engine;
 * an engine crash while playing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { workerSockets } from '../helpers/fluo.ts';
import { until } from '../helpers/RemotePeers.ts';
import { makeMedia, PlayerBed } from '../helpers/playerBed.ts';
import { probe } from '../helpers/probe.ts';
import { engineChildren } from '../helpers/engine.ts';

const bed = new PlayerBed();
let webm: string;
let mp4: string;
const { value, create, invoke, subscribe, eventsOf, frames, player, done } = bed;

before(async () => {
  ({ webm, mp4 } = makeMedia(bed.dir, 6));
  await bed.start();
});
after(() => bed.stop());

test('useEncodedMedia: a VP8/Opus WebM and the H.264 of an MP4 are payloaded as they are (no encoder); without it the MP4 is decoded to VP8', async () => {
  const k = await player(pathToFileURL(webm).href, { useEncodedMedia: true });
  await invoke(k.player, 'play');
  await until(async () => (await frames(k.viewer)) > 30, 10_000, 'pass-through frames at the viewer');
  const dot = String(await invoke(k.player, 'getElementGstreamerDot'));
  assert.match(dot, /GstRtpVP8Pay/i);
  assert.doesNotMatch(dot, /enc_video|enc_audio/);
  await done(k);
  // H.264 of a browser profile passes through too (the graph transcodes for a viewer that does not take it).
  const h = await player(pathToFileURL(mp4).href, { useEncodedMedia: true });
  await invoke(h.player, 'play');
  await until(async () => (await frames(h.viewer)) > 30, 10_000, 'frames of the H.264 pass-through');
  const hdot = String(await invoke(h.player, 'getElementGstreamerDot'));
  assert.match(hdot, /GstRtpH264Pay/i);
  assert.doesNotMatch(hdot, /enc_video/);
  assert.match(hdot, /enc_audio/, 'AAC is decoded and encoded to Opus');
  await done(h);
  const m = await player(pathToFileURL(mp4).href);
  await invoke(m.player, 'play');
  await until(async () => (await frames(m.viewer)) > 30, 10_000, 'frames of the MP4');
  assert.match(String(await invoke(m.player, 'getElementGstreamerDot')), /enc_video/);
  await done(m);
});

/** Sockets the engine processes hold (control channel, udpsinks, buses' GstPoll), from /proc. */
function engineSocketCount(): number {
  let n = 0;
  for (const pid of engineChildren()) {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
      } catch {
        // Closed while we looked.
      }
    }
  }
  return n;
}

test('release while playing, and while the play is starting, leaves no socket in the media workers and no bin in the engine', async () => {
  const k = await player(pathToFileURL(webm).href);
  await invoke(k.player, 'play');
  await until(async () => (await frames(k.viewer)) > 10, 10_000, 'frames at the viewer');
  await done(k);
  const before = engineSocketCount();
  for (const file of [webm, mp4]) {
    const P = await create('MediaPipeline', {});
    const p = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(file).href });
    // The first is released while it plays, the second while its play is starting.
    if (file === webm) await invoke(p, 'play');
    else void bed.request(p, 'play');
    await value('release', { object: P });
  }
  await until(async () => (await workerSockets(bed.fluo.server)).length === 0, 10_000, 'no sockets in the media workers').catch(async (err: Error) => {
    throw new Error(`${err.message}: ${(await workerSockets(bed.fluo.server)).join(', ')}`);
  });
  // The warm engine process stays; the players' bins are gone from it: each held 4 UDP
  // sockets (udpsink, IPv4 and IPv6). A removed engine pipeline leaves 2 sockets (its
  // bus's GstPoll) until node-gtk's wrappers are collected: allowed here, per pipeline.
  await until(() => engineSocketCount() <= before + 2 * 2, 5000, 'no player bin left in the engine').catch((err: Error) => {
    throw new Error(`${err.message}: ${engineSocketCount()} sockets in the engine, ${before} before the two players`);
  });
});

test('player to RecorderEndpoint with stopOnEndOfStream: the recording stops by itself; release leaves no socket', async () => {
  const P = await create('MediaPipeline', {});
  const p = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(webm).href });
  const file = join(bed.dir, 'copy.webm');
  const rec = await create('RecorderEndpoint', { mediaPipeline: P, uri: pathToFileURL(file).href, stopOnEndOfStream: true });
  await subscribe(p, 'EndOfStream', 'Error');
  await subscribe(rec, 'Recording', 'Stopped', 'Error');
  await invoke(p, 'connect', { sink: rec });
  await invoke(rec, 'record');
  await invoke(p, 'play');
  await until(() => eventsOf(rec, 'Stopped').length > 0, 15_000, 'the recorder stopping at the end of the file');
  assert.equal(eventsOf(p, 'EndOfStream').length, 1);
  assert.deepEqual(eventsOf(rec, 'Error'), []);
  const pr = await probe(file);
  assert.deepEqual(pr.streams.map((s) => s.type).sort(), ['audio', 'video']);
  assert.ok(pr.duration > 4.5 && pr.duration < 7, `recorded ${pr.duration} s of a 6 s file`);
  await value('release', { object: P });
  await until(async () => (await workerSockets(bed.fluo.server)).length === 0, 10_000, 'no sockets in the media workers').catch(async (err: Error) => {
    throw new Error(`${err.message}: ${(await workerSockets(bed.fluo.server)).join(', ')}`);
  });
});

test('an engine process killed while playing is an Error on the player, which plays again afterwards', async () => {
  const k = await player(pathToFileURL(webm).href);
  await invoke(k.player, 'play');
  await until(async () => (await frames(k.viewer)) > 10, 10_000, 'frames at the viewer');
  for (const pid of engineChildren()) process.kill(pid, 'SIGKILL');
  await until(() => eventsOf(k.player, 'Error').length > 0, 5000, 'Error after the engine crash');
  assert.match(String(eventsOf(k.player, 'Error')[0]!.data.description), /media engine process playing .*clip\.webm stopped/);
  await until(async () => (await invoke(k.player, 'getState')) === 'STOP', 2000, 'STOP after the crash');
  const before = await frames(k.viewer);
  await invoke(k.player, 'play');
  await until(async () => (await frames(k.viewer)) > before + 30, 10_000, 'frames again from a fresh engine process');
  await done(k);
});
