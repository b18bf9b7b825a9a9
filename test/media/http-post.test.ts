/**
 * HttpPostEndpoint (issue 11 §5): a VP8+Opus WebM POSTed to getUrl(), as one body and
 * chunked, played to a libwebrtc viewer and into a RecorderEndpoint; EndOfStream once
 * played out; a second POST plays again; with useEncodedMedia, VP8 passed through and
 * VP9 / H.264 decoded to VP8, an audio-only upload ending too; wrong method 405, unknown URL 404, a body
 * that is not media an Error event; release leaves no socket (worker or listening).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { sleep, workerSockets } from '../helpers/fluo.ts';
import { until, type RemotePeer } from '../helpers/RemotePeers.ts';
import { makeClip, makeMedia, PlayerBed } from '../helpers/playerBed.ts';
import { probe } from '../helpers/probe.ts';

const SECONDS = 3;
const bed = new PlayerBed();
let clip: Buffer;
const { value, create, invoke, subscribe, eventsOf, frames } = bed;

before(async () => {
  clip = readFileSync(makeMedia(bed.dir, SECONDS, true).webm);
  await bed.start();
});
after(() => bed.stop());

/** Sends `body` to `url` (`method`), in pieces of `chunk` bytes `gapMs` apart when chunked; resolves with the status and text. */
function send(url: string, body: Buffer, opts: { method?: string; chunk?: number; gapMs?: number } = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'POST', headers: opts.chunk ? { 'Content-Type': 'video/webm' } : { 'Content-Type': 'video/webm', 'Content-Length': body.length } });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (b: Buffer) => { text += b.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    if (!opts.chunk) { req.end(body); return; }
    const step = opts.chunk;
    void (async () => {
      for (let i = 0; i < body.length; i += step) {
        // Chunked transfer coding (RFC 9112 §7.1): no Content-Length, one chunk per write.
        if (!req.write(body.subarray(i, i + step))) await new Promise((r) => req.once('drain', r));
        await sleep(opts.gapMs ?? 0);
      }
      req.end();
    })();
  });
}

async function endpoint(params: Record<string, unknown> = {}): Promise<{ P: string; h: string; url: string }> {
  const P = await create('MediaPipeline', {});
  const h = await create('HttpPostEndpoint', { mediaPipeline: P, ...params });
  await subscribe(h, 'EndOfStream', 'Error');
  return { P, h, url: String(await invoke(h, 'getUrl')) };
}

async function viewerOf(P: string, h: string): Promise<RemotePeer> {
  const ep = await create('WebRtcEndpoint', { mediaPipeline: P });
  await invoke(h, 'connect', { sink: ep });
  const viewer = await bed.peers.create({ recvOnly: true });
  await viewer.connectTo(bed.c, ep, bed.sid);
  return viewer;
}

/** Waits for the n-th EndOfStream of `h` and returns how long after `since` it came (s). */
async function endOfStream(h: string, n: number, since: number): Promise<number> {
  await until(() => eventsOf(h, 'EndOfStream').length >= n, 15_000, `EndOfStream #${n}`);
  return (eventsOf(h, 'EndOfStream')[n - 1]!.at - since) / 1000;
}

test('getUrl, a whole-body POST then a chunked one to a WebRTC viewer: frames, EndOfStream at the duration each time', async () => {
  const { P, h, url } = await endpoint();
  assert.match(url, /^http:\/\/[\d.]+:\d+\/[A-Za-z0-9_-]{22}$/);
  const viewer = await viewerOf(P, h);
  let started = performance.now();
  const whole = send(url, clip);
  await until(async () => (await frames(viewer)) > 30, 10_000, 'frames at the viewer');
  let took = await endOfStream(h, 1, started);
  assert.ok(took > SECONDS - 0.6 && took < SECONDS + 2.5, `EndOfStream ${took.toFixed(2)} s after the POST of a ${SECONDS} s file`);
  assert.equal((await whole).status, 200);
  const first = await frames(viewer);
  assert.ok(first > SECONDS * 30 * 0.6, `${first} frames decoded of ${SECONDS * 30}`);
  // After EndOfStream a new POST plays again, here chunked in 8 KiB pieces.
  started = performance.now();
  const chunked = send(url, clip, { chunk: 8192, gapMs: 5 });
  took = await endOfStream(h, 2, started);
  assert.ok(took > SECONDS - 0.6 && took < SECONDS + 2.5, `EndOfStream ${took.toFixed(2)} s after the chunked POST`);
  assert.equal((await chunked).status, 200);
  assert.ok((await frames(viewer)) - first > SECONDS * 30 * 0.6, 'frames of the second upload');
  assert.deepEqual(eventsOf(h, 'Error'), []);
  await value('release', { object: P });
  await viewer.close();
});

/** A `seconds` long upload in `mux` (webmmux, matroskamux) with its video encoded by `video` (none: audio only), and Opus. */
function upload(name: string, seconds: number, video: string | undefined, mux: string): Buffer {
  return readFileSync(makeClip(join(bed.dir, name), seconds, { video, audio: 'opusenc', mux }));
}

test('useEncodedMedia: a VP8 upload passes as it is; VP9 and H.264 ones are decoded to VP8 (not dropped): the viewer decodes each to its end; an audio-only upload ends too', async () => {
  const uploads: Array<[string, Buffer]> = [
    ['VP8', upload('u-vp8.webm', 2, 'vp8enc deadline=1 cpu-used=8 keyframe-max-dist=30', 'webmmux')],
    ['VP9', upload('u-vp9.webm', 2, 'vp9enc deadline=1 cpu-used=8 keyframe-max-dist=30', 'webmmux')],
    ['H.264', upload('u-h264.mkv', 2, 'x264enc speed-preset=ultrafast key-int-max=30 ! h264parse', 'matroskamux')],
    // A voice memo (MediaRecorder with audio only): the video branch never gets a stream.
    ['Opus only', upload('u-opus.webm', 1, undefined, 'webmmux')],
  ];
  const { P, h, url } = await endpoint({ useEncodedMedia: true });
  const viewer = await viewerOf(P, h);
  try {
    await uploadEach(h, url, viewer, uploads);
  } finally {
    await value('release', { object: P });
    await viewer.close();
  }
});

/** POSTs each upload to `url` in turn, once `viewer` is connected, checking what it decodes and when EndOfStream comes. */
async function uploadEach(h: string, url: string, viewer: RemotePeer, uploads: Array<[string, Buffer]>): Promise<void> {
  // Connected first: frames sent before the viewer's DTLS is up would be lost, not late.
  await until(async () => (await viewer.received()).state === 'connected', 10_000, 'the viewer connected');
  for (const [i, [codec, body]] of uploads.entries()) {
    const before = await frames(viewer);
    const started = performance.now();
    const posted = send(url, body);
    const took = await endOfStream(h, i + 1, started);
    assert.equal((await posted).status, 200);
    if (codec === 'Opus only') {
      // Ended with its audio: the video branch that never carried media is not waited for.
      assert.ok(took < 1 + 2.5, `audio-only upload: EndOfStream ${took.toFixed(2)} s after the POST of a 1 s file`);
      continue;
    }
    const got = (await frames(viewer)) - before;
    assert.ok(got > 2 * 30 * 0.5, `${codec} upload: ${got} frames decoded of 60`);
    assert.ok(took < 2 + 2.5, `${codec} upload: EndOfStream ${took.toFixed(2)} s after the POST of a 2 s file`);
  }
  assert.deepEqual(eventsOf(h, 'Error'), []);
}

test('HttpPostEndpoint to RecorderEndpoint with stopOnEndOfStream: a playable WebM of the upload', async () => {
  const { P, h, url } = await endpoint();
  const file = join(bed.dir, 'posted.webm');
  const rec = await create('RecorderEndpoint', { mediaPipeline: P, uri: pathToFileURL(file).href, stopOnEndOfStream: true });
  await subscribe(rec, 'Stopped', 'Error');
  await invoke(h, 'connect', { sink: rec });
  await invoke(rec, 'record');
  const posted = send(url, clip);
  await until(() => eventsOf(rec, 'Stopped').length > 0, 15_000, 'the recorder stopping at the end of the upload');
  assert.equal((await posted).status, 200);
  assert.deepEqual(eventsOf(rec, 'Error'), []);
  const pr = await probe(file);
  assert.deepEqual(pr.streams.map((s) => s.type).sort(), ['audio', 'video']);
  assert.ok(pr.duration > SECONDS - 1.5 && pr.duration < SECONDS + 1, `recorded ${pr.duration} s of a ${SECONDS} s upload`);
  await value('release', { object: P });
});

test('GET and PUT are 405, an unknown URL 404, a body that is not media an Error event; release closes everything', async () => {
  const { P, h, url } = await endpoint({ disconnectionTimeout: 1 });
  assert.equal((await send(url, Buffer.alloc(0), { method: 'GET' })).status, 405);
  assert.equal((await send(url, clip.subarray(0, 100), { method: 'PUT' })).status, 405);
  assert.equal((await send(url.replace(/\/[^/]+$/, '/nothing-here'), clip)).status, 404);
  const junk = await send(url, Buffer.from('this is not a video\n'.repeat(5000)));
  assert.ok([200, 415].includes(junk.status), `status ${junk.status} for a text body`);
  await until(() => eventsOf(h, 'Error').length > 0, 5000, 'Error for a body that is not media');
  assert.equal(eventsOf(h, 'Error')[0]!.data.errorCode, 40003);
  // The endpoint still takes a good upload afterwards.
  const ok = send(url, clip);
  await until(() => eventsOf(h, 'EndOfStream').length > 0, 15_000, 'EndOfStream of the good upload');
  assert.equal((await ok).status, 200);
  await value('release', { object: P });
  const port = Number(new URL(url).port);
  await until(async () => !(await listening(port)), 3000, 'the HTTP endpoint server closed with its last endpoint');
  await until(async () => (await workerSockets(bed.fluo.server)).length === 0, 10_000, 'no sockets in the media workers').catch(async (err: Error) => {
    throw new Error(`${err.message}: ${(await workerSockets(bed.fluo.server)).join(', ')}`);
  });
});

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}
