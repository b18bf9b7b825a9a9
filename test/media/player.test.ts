/**
 * PlayerEndpoint (issue 11 §5) from file:// URIs to a libwebrtc viewer: frames decoded,
 * EndOfStream at the file's duration, video info, seek, pause and resume, pass-through
 * with useEncodedMedia, errors that name the URI, and a RecorderEndpoint with
 * stopOnEndOfStream that stops by itself. Test media are made with gst-launch here.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startFluo, RpcClient, sleep, workerSockets } from '../helpers/fluo.ts';
import { RemotePeers, until, type RemotePeer } from '../helpers/RemotePeers.ts';
import { probe } from '../helpers/probe.ts';

const peers = new RemotePeers();
let fluo: Awaited<ReturnType<typeof startFluo>>;
let c: RpcClient;
let sid: string;
let dir: string;
let webm: string;
let mp4: string;
const events: Array<{ object: string; type: string; data: Record<string, unknown>; at: number }> = [];

/** A `seconds` long 320x240@30 VP8+Opus WebM and H.264+AAC MP4 (keyframe every second). */
function makeMedia(seconds: number): void {
  const frames = seconds * 30;
  const video = `videotestsrc num-buffers=${frames} pattern=ball ! video/x-raw,width=320,height=240,framerate=30/1,format=I420 ! timeoverlay`;
  const audio = `audiotestsrc num-buffers=${Math.ceil((seconds * 48000) / 1024)} samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=2`;
  execFileSync('gst-launch-1.0', ['-q', '-e', ...`${video} ! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=30 ! queue ! m.video_0 ${audio} ! audioconvert ! opusenc ! queue ! m.audio_0 webmmux name=m ! filesink location=${webm}`.split(' ')]);
  execFileSync('gst-launch-1.0', ['-q', '-e', ...`${video} ! x264enc speed-preset=ultrafast key-int-max=30 ! video/x-h264,profile=constrained-baseline ! h264parse ! queue ! m.video_0 ${audio} ! audioconvert ! avenc_aac ! aacparse ! queue ! m.audio_0 mp4mux name=m faststart=true ! filesink location=${mp4}`.split(' ')]);
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fluo-player-'));
  webm = join(dir, 'clip.webm');
  mp4 = join(dir, 'clip.mp4');
  makeMedia(6);
  fluo = await startFluo();
  c = await RpcClient.open(fluo.url);
  sid = (await c.ok('connect')).sessionId!;
  c.onEvent((e) => {
    const v = e.params?.value;
    if (v) events.push({ object: v.object, type: v.type, data: v.data as Record<string, unknown>, at: performance.now() });
  });
});
after(async () => {
  peers.stop();
  await c.close();
  await fluo.stop();
  if (!process.env.FLUO_KEEP_MEDIA) rmSync(dir, { recursive: true, force: true });
});

const value = async (method: string, params: Record<string, unknown>): Promise<unknown> => (await c.ok(method, { ...params, sessionId: sid })).value;
const create = async (type: string, constructorParams: Record<string, unknown>): Promise<string> => (await value('create', { type, constructorParams })) as string;
const invoke = (object: string, operation: string, operationParams: Record<string, unknown> = {}): Promise<unknown> => value('invoke', { object, operation, operationParams });
const subscribe = async (object: string, ...types: string[]): Promise<void> => {
  for (const type of types) await value('subscribe', { object, type });
};
const eventsOf = (object: string, type: string) => events.filter((e) => e.object === object && e.type === type);
const frames = async (v: RemotePeer): Promise<number> => (await v.received()).frames;

interface Play { P: string; player: string; viewer: RemotePeer }

/** A pipeline with a player of `uri` connected to a WebRtcEndpoint and its libwebrtc viewer. */
async function player(uri: string, params: Record<string, unknown> = {}): Promise<Play> {
  const P = await create('MediaPipeline', {});
  const p = await create('PlayerEndpoint', { mediaPipeline: P, uri, ...params });
  await subscribe(p, 'EndOfStream', 'Error', 'UriEndpointStateChanged', 'MediaFlowOutStateChanged');
  const ep = await create('WebRtcEndpoint', { mediaPipeline: P });
  await invoke(p, 'connect', { sink: ep });
  const viewer = await peers.create({ recvOnly: true });
  await viewer.connectTo(c, ep, sid);
  return { P, player: p, viewer };
}

async function done(k: Play): Promise<void> {
  await value('release', { object: k.P });
  await k.viewer.close();
}

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
  assert.deepEqual(eventsOf(k.player, 'UriEndpointStateChanged').map((e) => e.data.state), ['START', 'STOP']);
  assert.ok(eventsOf(k.player, 'MediaFlowOutStateChanged').some((e) => e.data.state === 'FLOWING' && e.data.mediaType === 'VIDEO'));
  // At the end the play's engine pipeline is freed: the element's DOT says so.
  assert.match(String(await invoke(k.player, 'getElementGstreamerDot')), /no engine pipeline/);
  await done(k);
});

test('pause stops the frames, play resumes; setPosition moves getPosition; EndOfStream after the rest', async () => {
  const k = await player(pathToFileURL(webm).href);
  await invoke(k.player, 'play');
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

test('release while playing, and while the play is starting, leaves no socket in the media workers', async () => {
  const k = await player(pathToFileURL(webm).href);
  await invoke(k.player, 'play');
  await until(async () => (await frames(k.viewer)) > 10, 10_000, 'frames at the viewer');
  await done(k);
  const P = await create('MediaPipeline', {});
  const p = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(mp4).href });
  void c.request('invoke', { object: p, operation: 'play', operationParams: {}, sessionId: sid });
  await value('release', { object: P });
  await until(async () => (await workerSockets(fluo.server)).length === 0, 10_000, 'no sockets in the media workers').catch(async (err: Error) => {
    throw new Error(`${err.message}: ${(await workerSockets(fluo.server)).join(', ')}`);
  });
});

test('a missing file, a file that is not media: Error naming the URI, the element stays usable', async () => {
  const P = await create('MediaPipeline', {});
  const missing = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(join(dir, 'nope.webm')).href });
  await subscribe(missing, 'Error');
  const r1 = await c.request('invoke', { object: missing, operation: 'play', operationParams: {}, sessionId: sid });
  assert.equal(r1.error?.code, 40600);
  assert.match(String(r1.error?.message), /nope\.webm: the file does not exist/);
  await until(() => eventsOf(missing, 'Error').length > 0, 2000, 'Error event');
  assert.equal(eventsOf(missing, 'Error')[0]!.data.errorCode, 40600);
  assert.equal(await invoke(missing, 'getState'), 'STOP');
  const text = join(dir, 'notes.webm');
  writeFileSync(text, 'this is not a video\n'.repeat(100));
  const junk = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(text).href });
  const r2 = await c.request('invoke', { object: junk, operation: 'play', operationParams: {}, sessionId: sid });
  assert.ok(r2.error, 'play of a text file fails');
  assert.match(String(r2.error?.message), /notes\.webm/);
  const r3 = await c.request('invoke', { object: missing, operation: 'setPosition', operationParams: { position: 1000 }, sessionId: sid });
  assert.equal(r3.error?.code, 40700);
  await value('release', { object: missing });
  await value('release', { object: junk });
  await value('release', { object: P });
});

test('player to RecorderEndpoint with stopOnEndOfStream: the recording stops by itself; release leaves no socket', async () => {
  const P = await create('MediaPipeline', {});
  const p = await create('PlayerEndpoint', { mediaPipeline: P, uri: pathToFileURL(webm).href });
  const file = join(dir, 'copy.webm');
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
  await until(async () => (await workerSockets(fluo.server)).length === 0, 10_000, 'no sockets in the media workers').catch(async (err: Error) => {
    throw new Error(`${err.message}: ${(await workerSockets(fluo.server)).join(', ')}`);
  });
});
