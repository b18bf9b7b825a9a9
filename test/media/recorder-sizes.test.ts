/**
 * H.264 passed through into MP4 and MKV recordings while the sender changes its picture
 * size (issue 11 §4: a recording stays playable). A GStreamer sender into an RtpEndpoint
 * sends 320x240, then 640x480; both recorders take its H.264 as it is (no transcoding)
 * and their files decode at both sizes, with the parameter sets in band (avc3) and one
 * sample entry (profiles.ts H264_IN_BAND). The VP8 case (encoded at one size) is in
 * recorder.test.ts.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startFluo, RpcClient } from '../helpers/fluo.ts';
import { until } from '../helpers/RemotePeers.ts';
import { GstLaunches, exitCode } from '../helpers/gstreamer.ts';
import { probe, decodeErrors, frameSizes } from '../helpers/probe.ts';

let fluo: Awaited<ReturnType<typeof startFluo>>;
let c: RpcClient;
let sid: string;
let dir: string;
const launches = new GstLaunches();
const events: Array<{ object: string; type: string; data: Record<string, unknown> }> = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fluo-rec-sizes-'));
  fluo = await startFluo();
  c = await RpcClient.open(fluo.url);
  sid = (await c.ok('connect')).sessionId!;
  c.onEvent((e) => {
    const v = e.params?.value;
    if (v) events.push({ object: v.object, type: v.type, data: v.data as Record<string, unknown> });
  });
});
after(async () => {
  launches.killAll();
  await c.close();
  await fluo.stop();
  if (!process.env.FLUO_KEEP_MEDIA) rmSync(dir, { recursive: true, force: true });
});

const create = async (type: string, constructorParams: Record<string, unknown>): Promise<string> =>
  (await c.ok('create', { type, constructorParams, sessionId: sid })).value as string;
const invoke = async (object: string, operation: string, operationParams?: unknown): Promise<unknown> =>
  (await c.ok('invoke', { object, operation, operationParams, sessionId: sid })).value;

test('H.264 passed through into MP4 and MKV while the sender goes 320x240 -> 640x480: both files decode at both sizes', async () => {
  const P = await create('MediaPipeline', {});
  const rtp = await create('RtpEndpoint', { mediaPipeline: P });
  // A plain-RTP offer of constrained-baseline H.264 (RFC 6184 §8.1), as a camera or gateway sends it.
  const offer = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=gst', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=video 9 RTP/AVP 102',
    'a=rtpmap:102 H264/90000', 'a=fmtp:102 profile-level-id=42e01f;packetization-mode=1', 'a=sendonly', ''].join('\r\n');
  const answer = (await invoke(rtp, 'processOffer', { offer })) as string;
  const port = Number(/m=video (\d+) RTP\/AVP/.exec(answer)?.[1]);
  const files = { MP4_VIDEO_ONLY: join(dir, 'sizes.mp4'), MKV_VIDEO_ONLY: join(dir, 'sizes.mkv') };
  const recs: string[] = [];
  for (const [mediaProfile, file] of Object.entries(files)) {
    const rec = await create('RecorderEndpoint', { mediaPipeline: P, uri: pathToFileURL(file).href, mediaProfile });
    for (const type of ['Recording', 'Stopped', 'Error']) await c.ok('subscribe', { object: rec, type, sessionId: sid });
    await invoke(rtp, 'connect', { sink: rec, mediaType: 'VIDEO' });
    await invoke(rec, 'record');
    recs.push(rec);
  }
  // 2 s at each size, paced by the sink's clock; SPS and PPS before every IDR, one a second.
  const segment = (n: number, w: number, h: number): string =>
    `videotestsrc num-buffers=${n} pattern=ball ! video/x-raw,width=${w},height=${h},framerate=30/1,format=I420 ! c.`;
  const sender = launches.launch(`concat name=c ! videoconvert ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! video/x-h264,profile=constrained-baseline ! ` +
    `rtph264pay pt=102 mtu=1200 config-interval=-1 ! udpsink host=127.0.0.1 port=${port} sync=true ${segment(60, 320, 240)} ${segment(60, 640, 480)}`);
  assert.equal(await exitCode(sender, 20_000), 0, 'the sender ran to its end');
  await until(() => recs.every((r) => events.some((e) => e.object === r && e.type === 'Recording')), 5000, 'both recorders recording');
  for (const rec of recs) {
    await invoke(rec, 'stopAndWait');
    assert.equal(await invoke(rec, 'isMediaTranscoding', { mediaType: 'VIDEO' }), false, 'H.264 passed through');
  }
  assert.deepEqual(events.filter((e) => e.type === 'Error'), []);
  for (const [profile, file] of Object.entries(files)) {
    const sizes = await frameSizes(file);
    const counts = sizes.reduce((m, s) => m.set(s, (m.get(s) ?? 0) + 1), new Map<string, number>());
    console.log(`# ${profile}: ${[...counts].map(([s, n]) => `${n} frames at ${s}`).join(', ')}`);
    // The first keyframe comes within the first second; the second size's 2 s are whole.
    assert.ok((counts.get('320x240') ?? 0) >= 20 && (counts.get('640x480') ?? 0) >= 55, `${profile}: ${[...counts].join(' ')}`);
    assert.equal(sizes.indexOf('640x480'), sizes.lastIndexOf('320x240') + 1, `${profile}: one change of size, in order`);
    assert.deepEqual(await decodeErrors(file), [], `${profile} decodes`);
    const p = await probe(file);
    assert.ok(p.duration > 2.5 && p.duration < 4.5, `${profile}: duration ${p.duration} s`);
  }
  await c.ok('release', { object: P, sessionId: sid });
});
