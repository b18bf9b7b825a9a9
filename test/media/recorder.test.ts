/**
 * RecorderEndpoint (issue 11 §4) with a real libwebrtc publisher (VP8 + Opus), files
 * checked with ffprobe/ffmpeg for what a user would check: the streams the profile
 * says, a duration within 5% of the time recorded, at least 95% of the frames a viewer
 * of the same source decoded over the same time, no decoding errors, and lip sync (a
 * publisher that flashes and beeps together: each beep within 60 ms of its flash).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startFluo, RpcClient, sleep } from '../helpers/fluo.ts';
import { RemotePeers, until, type RemotePeer } from '../helpers/RemotePeers.ts';
import { probe, decodeErrors, flashTimes, beepTimes, frameSizes } from '../helpers/probe.ts';
import type { WrtcPeerOptions } from '../helpers/wrtcPeer.ts';

const peers = new RemotePeers();
let fluo: Awaited<ReturnType<typeof startFluo>>;
let c: RpcClient;
let sid: string;
let dir: string;
const events: Array<{ object: string; type: string; data: Record<string, unknown>; at: number }> = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fluo-rec-'));
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

interface Call { P: string; pubEp: string; publisher: RemotePeer; viewer: RemotePeer }

/** A pipeline with a libwebrtc publisher (`publisher`: its options), and a viewer of it that counts what a recording should hold. */
async function call(publisherOptions: WrtcPeerOptions = {}): Promise<Call> {
  const P = await create('MediaPipeline', {});
  const pubEp = await create('WebRtcEndpoint', { mediaPipeline: P });
  const viewEp = await create('WebRtcEndpoint', { mediaPipeline: P });
  await invoke(pubEp, 'connect', { sink: viewEp });
  const publisher = await peers.create(publisherOptions);
  const viewer = await peers.create({ recvOnly: true });
  await publisher.connectTo(c, pubEp, sid);
  await viewer.connectTo(c, viewEp, sid);
  await until(async () => (await viewer.received()).frames > 30, 15_000, 'the publisher flowing');
  return { P, pubEp, publisher, viewer };
}

async function hangUp(k: Call): Promise<void> {
  await value('release', { object: k.P });
  await k.publisher.close();
  await k.viewer.close();
}

/** Records `seconds` of the call into a new recorder; the recorded time counts from its Recording event. */
async function record(k: Call, mediaProfile: string, file: string, seconds: number): Promise<{ rec: string; recorded: number; viewerFrames: number; audioPackets: number }> {
  const rec = await create('RecorderEndpoint', { mediaPipeline: k.P, uri: pathToFileURL(file).href, mediaProfile });
  await subscribe(rec, 'Recording', 'Stopped', 'UriEndpointStateChanged', 'Error');
  const kinds = mediaProfile.endsWith('_VIDEO_ONLY') ? ['VIDEO'] : mediaProfile.endsWith('_AUDIO_ONLY') ? ['AUDIO'] : ['AUDIO', 'VIDEO'];
  for (const mediaType of kinds) await invoke(k.pubEp, 'connect', { sink: rec, mediaType });
  await invoke(rec, 'record');
  await until(() => eventsOf(rec, 'Recording').length > 0, 10_000, `Recording (${mediaProfile})`);
  const started = eventsOf(rec, 'Recording')[0]!.at;
  const framesBefore = (await k.viewer.received()).frames;
  const audioBefore = await audioIn(rec);
  await sleep(seconds * 1000);
  const viewerFrames = (await k.viewer.received()).frames - framesBefore;
  const recorded = (performance.now() - started) / 1000;
  const audioPackets = (await audioIn(rec)) - audioBefore;
  await invoke(rec, 'stopAndWait');
  assert.deepEqual(eventsOf(rec, 'Error'), []);
  assert.equal(eventsOf(rec, 'Stopped').length, 1);
  assert.deepEqual(eventsOf(rec, 'UriEndpointStateChanged').map((e) => e.data.state), ['START', 'STOP']);
  assert.equal(await invoke(rec, 'getState'), 'STOP');
  return { rec, recorded, viewerFrames, audioPackets };
}

/** Opus packets the recorder received so far (Fluo's addition to its ElementStats). */
async function audioIn(rec: string): Promise<number> {
  const stats = (await invoke(rec, 'getStats')) as Record<string, Record<string, unknown>>;
  return Number(stats[rec]?.audioPacketsIn ?? 0);
}

/** A file's video bitrate: its video packets' bytes over the stream's span, bps (ffprobe). */
async function videoBitrate(path: string): Promise<number> {
  const { stdout } = await promisify(execFile)('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=size,pts_time', '-of', 'csv=p=0', path], { maxBuffer: 16 << 20 });
  const rows = stdout.trim().split('\n').map((l) => l.split(',').map(Number) as [number, number]);
  const times = rows.map((r) => r[0]).filter(Number.isFinite);
  const bytes = rows.reduce((n, r) => n + (r[1] || 0), 0);
  return (bytes * 8) / Math.max(0.5, Math.max(...times) - Math.min(...times));
}

function assertDuration(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= expected * 0.05, `${what}: duration ${actual.toFixed(2)} s, recorded ${expected.toFixed(2)} s`);
}

test('WEBM: VP8 and Opus pass through; duration, frames and decoding as recorded; lip sync kept', async () => {
  // Flash and beep together once a second: the file's A/V sync is their offset.
  const k = await call({ flashes: { periodMs: 1000, lengthMs: 200 } });
  const file = join(dir, 'call.webm');
  const r = await record(k, 'WEBM', file, 4);
  const p = await probe(file);
  assert.match(p.format, /matroska|webm/);
  const v = p.streams.find((s) => s.type === 'video');
  assert.equal(v?.codec, 'vp8');
  assert.equal(p.streams.find((s) => s.type === 'audio')?.codec, 'opus');
  assertDuration(p.duration, r.recorded, 'WEBM');
  assert.ok(v!.frames >= 0.95 * r.viewerFrames, `${v!.frames} frames in the file, ${r.viewerFrames} decoded by a viewer meanwhile`);
  assert.deepEqual(await decodeErrors(file), []);
  assert.equal(await invoke(r.rec, 'isMediaTranscoding', { mediaType: 'VIDEO' }), false);
  // Each flash with its beep: the two tracks are muxed on one timeline (a beep within
  // 60 ms of its flash: ITU-R BT.1359 finds sound 45 ms early or 125 ms late detectable).
  // Flashes cut by the file's start or end are left out (a beep already sounding at the
  // start has no silence before it to end).
  const beeps = await beepTimes(file);
  const flashes = (await flashTimes(file)).filter((t) => t > 0.25 && t < p.duration - 0.25);
  const offsets = flashes.map((f) => beeps.reduce((best, b) => (Math.abs(b - f) < Math.abs(best) ? b - f : best), Infinity));
  console.log(`# WEBM A/V sync, beep minus flash (ms): ${offsets.map((o) => Math.round(o * 1000)).join(', ')}`);
  assert.ok(flashes.length >= 3 && beeps.length >= 3, `${flashes.length} flashes and ${beeps.length} beeps in ${r.recorded.toFixed(1)} s`);
  assert.ok(offsets.every((o) => Math.abs(o) < 0.06), `beep minus flash: ${offsets.map((o) => o.toFixed(3)).join(', ')} s`);
  await hangUp(k);
});

test('MP4: VP8 is transcoded to H.264 for the container, each picture at the size it was sent while the sender changes its size, Opus passes through', async () => {
  // The publisher goes from 320x240 to 640x480 during the recording, as browsers adapt.
  const k = await call({ resize: { afterMs: 3500, width: 640, height: 480 } });
  const file = join(dir, 'call.mp4');
  const r = await record(k, 'MP4', file, 4);
  const p = await probe(file);
  assert.match(p.format, /mp4/);
  const v = p.streams.find((s) => s.type === 'video');
  assert.equal(v?.codec, 'h264');
  assert.equal(p.streams.find((s) => s.type === 'audio')?.codec, 'opus');
  assertDuration(p.duration, r.recorded, 'MP4');
  assert.ok(v!.frames >= 0.95 * r.viewerFrames, `${v!.frames} frames in the file, ${r.viewerFrames} decoded by a viewer meanwhile`);
  assert.deepEqual(await decodeErrors(file), []);
  // The pictures keep the sizes they were sent at, in order (H.264 in band, avc3, under
  // one sample entry): the small start, then the larger size to the end.
  const sizes = await frameSizes(file);
  const runs = sizes.filter((s, i) => s !== sizes[i - 1]);
  assert.deepEqual(runs, ['320x240', '640x480'], `frame sizes in the MP4, in order: ${runs.join(', ')}`);
  assert.ok(sizes.filter((s) => s === '640x480').length >= 15, `${sizes.filter((s) => s === '640x480').length} frames at 640x480`);
  assert.equal((await k.viewer.received()).width, 640, 'the publisher changed its size during the recording');
  assert.equal(await invoke(r.rec, 'isMediaTranscoding', { mediaType: 'VIDEO' }), true);
  // encoderBitrate on the recorder (KMD MediaElement: "most useful for RecorderEndpoint
  // ... when media is being transcoded") sets the encoder's bitrate, before media flows.
  await value('release', { object: r.rec });
  const lowFile = join(dir, 'call-80k.mp4');
  const low = await create('RecorderEndpoint', { mediaPipeline: k.P, uri: pathToFileURL(lowFile).href, mediaProfile: 'MP4_VIDEO_ONLY' });
  await invoke(low, 'setEncoderBitrate', { encoderBitrate: 80_000 });
  assert.equal(await invoke(low, 'getEncoderBitrate'), 80_000);
  await subscribe(low, 'Recording');
  await invoke(k.pubEp, 'connect', { sink: low, mediaType: 'VIDEO' });
  await invoke(low, 'record');
  await until(() => eventsOf(low, 'Recording').length > 0, 10_000, 'Recording (80 kbps)');
  await sleep(3000);
  await invoke(low, 'stopAndWait');
  const [base, reduced] = [await videoBitrate(file), await videoBitrate(lowFile)];
  console.log(`# H.264 in the recordings: ${Math.round(base / 1000)} kbps by default, ${Math.round(reduced / 1000)} kbps with encoderBitrate 80000`);
  assert.ok(reduced < 80_000 * 1.6 && reduced < base * 0.8, `encoderBitrate 80000: ${Math.round(reduced)} bps, by default ${Math.round(base)} bps`);
  await hangUp(k);
});

test('video-only and audio-only profiles record one stream', async () => {
  const k = await call();
  for (const [profile, type, codec] of [['WEBM_VIDEO_ONLY', 'video', 'vp8'], ['MKV_AUDIO_ONLY', 'audio', 'opus']] as const) {
    const file = join(dir, `${profile}.${profile.startsWith('WEBM') ? 'webm' : 'mkv'}`);
    const r = await record(k, profile, file, 2);
    const p = await probe(file);
    assert.deepEqual(p.streams.map((s) => `${s.type}:${s.codec}`), [`${type}:${codec}`], profile);
    if (type === 'video') assertDuration(p.duration, r.recorded, profile);
    // The test peer's audio comes from a JavaScript timer, which a loaded machine slows
    // down: the file must hold the audio the recorder received (20 ms per Opus packet),
    // give or take what arrived while the counter was read (one request each way).
    else {
      const expected = r.audioPackets * 0.02;
      assert.ok(Math.abs(p.duration - expected) <= expected * 0.05 + 0.15, `${profile}: duration ${p.duration.toFixed(2)} s, ${r.audioPackets} packets (${expected.toFixed(2)} s) received while recording`);
    }
  }
  await hangUp(k);
});

test('record() before any media: the recording starts when its source comes, 4 s later, with both tracks', async () => {
  const k = await call();
  const file = join(dir, 'late-source.webm');
  const rec = await create('RecorderEndpoint', { mediaPipeline: k.P, uri: pathToFileURL(file).href, mediaProfile: 'WEBM' });
  await subscribe(rec, 'Recording', 'Stopped', 'Error');
  await invoke(rec, 'record');
  // Longer than the wait for a missing media type (3 s), which counts from the first packet.
  await sleep(4000);
  assert.equal(eventsOf(rec, 'Recording').length, 0, 'nothing to record yet');
  for (const mediaType of ['AUDIO', 'VIDEO']) await invoke(k.pubEp, 'connect', { sink: rec, mediaType });
  await until(() => eventsOf(rec, 'Recording').length > 0, 10_000, 'Recording once the source sends');
  await sleep(2000);
  await invoke(rec, 'stopAndWait');
  assert.deepEqual(eventsOf(rec, 'Error'), []);
  const p = await probe(file);
  assert.deepEqual(p.streams.map((x) => `${x.type}:${x.codec}`).sort(), ['audio:opus', 'video:vp8']);
  assert.ok(p.duration > 1.5, `duration ${p.duration.toFixed(2)} s`);
  await hangUp(k);
});

test('pause leaves no gap: the file holds the recorded time only', async () => {
  const k = await call();
  const file = join(dir, 'paused.webm');
  const rec = await create('RecorderEndpoint', { mediaPipeline: k.P, uri: pathToFileURL(file).href });
  await subscribe(rec, 'Recording', 'Paused', 'Stopped', 'Error');
  await invoke(k.pubEp, 'connect', { sink: rec });
  await invoke(rec, 'record');
  await until(() => eventsOf(rec, 'Recording').length > 0, 10_000, 'Recording');
  const t0 = performance.now();
  await sleep(2000);
  await invoke(rec, 'pause');
  const t1 = performance.now();
  assert.equal(await invoke(rec, 'getState'), 'PAUSE');
  await sleep(2000);
  await invoke(rec, 'record');
  const t2 = performance.now();
  await sleep(2000);
  const t3 = performance.now();
  await invoke(rec, 'stopAndWait');
  assert.equal(eventsOf(rec, 'Paused').length, 1);
  assert.equal(eventsOf(rec, 'Recording').length, 2);
  const recorded = ((t1 - t0) + (t3 - t2)) / 1000;
  const p = await probe(file);
  assert.ok(Math.abs(p.duration - recorded) < 0.5, `duration ${p.duration.toFixed(2)} s for ${recorded.toFixed(2)} s recorded around a 2 s pause`);
  assert.deepEqual(await decodeErrors(file), []);
  await hangUp(k);
});

test('bad destinations: a missing folder, an unknown scheme, an unreachable upload URL, an unsupported profile', async () => {
  const P = await create('MediaPipeline', {});
  const missing = await create('RecorderEndpoint', { mediaPipeline: P, uri: 'file:///no/such/folder/x.webm' });
  const r1 = await c.request('invoke', { object: missing, operation: 'record', operationParams: {}, sessionId: sid });
  assert.equal(r1.error?.code, 40600);
  assert.match(String(r1.error?.message), /\/no\/such\/folder\/x\.webm: its folder does not exist/);
  assert.equal(await invoke(missing, 'getState'), 'STOP');
  const r2 = await c.request('create', { type: 'RecorderEndpoint', constructorParams: { mediaPipeline: P, uri: 'ftp://host/x.webm' }, sessionId: sid });
  assert.equal(r2.error?.code, 40107);
  const unreachable = await create('RecorderEndpoint', { mediaPipeline: P, uri: 'http://127.0.0.1:9/upload/x.webm' });
  const r3 = await c.request('invoke', { object: unreachable, operation: 'record', operationParams: {}, sessionId: sid });
  assert.equal(r3.error?.code, 40107);
  assert.match(String(r3.error?.message), /Cannot upload to http:\/\/127\.0\.0\.1:9\/upload\/x\.webm: .*ECONNREFUSED/);
  const r4 = await c.request('create', { type: 'RecorderEndpoint', constructorParams: { mediaPipeline: P, uri: 'file:///tmp/x', mediaProfile: 'KURENTO_SPLIT_RECORDER' }, sessionId: sid });
  assert.equal(r4.error?.code, 40006);
  assert.match(String(r4.error?.message), /only Kurento's tools read; record MKV instead/, 'the refusal says why');
  await value('release', { object: P });
  assert.throws(() => statSync('/no/such/folder/x.webm'));
});

test('setVideoFormat(H264) on an MKV recorder: the VP8 source is transcoded to the forced codec', async () => {
  const k = await call();
  const file = join(dir, 'forced.mkv');
  const rec = await create('RecorderEndpoint', { mediaPipeline: k.P, uri: pathToFileURL(file).href, mediaProfile: 'MKV_VIDEO_ONLY' });
  await invoke(rec, 'setVideoFormat', { caps: { codec: 'H264', framerate: { numerator: 30, denominator: 1 } } });
  await subscribe(rec, 'Recording', 'Error');
  await invoke(k.pubEp, 'connect', { sink: rec, mediaType: 'VIDEO' });
  await invoke(rec, 'record');
  await until(() => eventsOf(rec, 'Recording').length > 0, 10_000, 'Recording');
  await sleep(1500);
  await invoke(rec, 'stopAndWait');
  assert.deepEqual(eventsOf(rec, 'Error'), []);
  const p = await probe(file);
  assert.deepEqual(p.streams.map((s) => s.codec), ['h264'], 'MKV takes VP8 as it is; the forced format made it H.264');
  assert.equal(await invoke(rec, 'isMediaTranscoding', { mediaType: 'VIDEO' }), true);
  await hangUp(k);
});
