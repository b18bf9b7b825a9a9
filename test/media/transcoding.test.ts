/**
 * Transcoding on demand (issue 11 §3): where a sink cannot take its source's format,
 * the media graph puts a transcoder of the media engine between them, shared by every
 * sink that needs that format; where forwarding works, no engine process starts.
 * Real peers: GStreamer senders and decoders over plain RTP, libwebrtc peers (VP8 only).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { startFluo, RpcClient } from '../helpers/fluo.ts';
import { RemotePeers, until } from '../helpers/RemotePeers.ts';
import { GstLaunches, freeUdpPort, exitCode } from '../helpers/gstreamer.ts';
import { engineChildren } from '../helpers/engine.ts';
import { BLIND_KEYFRAME_INTERVAL_MS } from '../../src/media/transcode/EncoderControl.ts';

const peers = new RemotePeers();
let fluo: Awaited<ReturnType<typeof startFluo>>;
let c: RpcClient;
let sid: string;
const launches = new GstLaunches();
const events: Array<{ object: string; type: string; data: Record<string, unknown> }> = [];

/** A client and session on the current Fluo, its events collected in `events`. */
async function connect(): Promise<void> {
  c = await RpcClient.open(fluo.url);
  sid = (await c.ok('connect')).sessionId!;
  c.onEvent((e) => {
    const v = e.params?.value;
    if (v) events.push({ object: v.object, type: v.type, data: v.data as Record<string, unknown> });
  });
}

before(async () => {
  fluo = await startFluo();
  await connect();
});
after(async () => {
  launches.killAll();
  peers.stop();
  await c.close();
  await fluo.stop();
  assert.deepEqual(engineChildren(), [], 'no engine process outlives the server');
});

const create = async (type: string, constructorParams: Record<string, unknown>): Promise<string> =>
  (await c.ok('create', { type, constructorParams, sessionId: sid })).value as string;
const invoke = async (object: string, operation: string, operationParams?: unknown): Promise<unknown> =>
  (await c.ok('invoke', { object, operation, operationParams, sessionId: sid })).value;
const subscribe = async (object: string, ...types: string[]): Promise<void> => {
  for (const type of types) await c.ok('subscribe', { object, type, sessionId: sid });
};

const gst = (pipeline: string): ChildProcess => launches.launch(pipeline);

/** A plain-RTP SDP with one media section. */
const sdp = (port: number, direction: string, media: string, formats: string[]): string => ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=gst', 'c=IN IP4 127.0.0.1', 't=0 0',
  `m=${media} ${port} RTP/AVP ${formats.map((f) => f.split(' ')[0]).join(' ')}`, ...formats.map((f) => `a=rtpmap:${f}`), `a=${direction}`, ''].join('\r\n');

test('H.264 RTP into an RtpEndpoint reaches a VP8-only libwebrtc viewer through a transcoder', async () => {
  const P = await create('MediaPipeline', {});
  const rtp = await create('RtpEndpoint', { mediaPipeline: P });
  const gstPort = await freeUdpPort();
  const answer = (await invoke(rtp, 'processOffer', { offer: sdp(gstPort, 'sendonly', 'video', ['102 H264/90000']) })) as string;
  const port = Number(/m=video (\d+) RTP\/AVP/.exec(answer)?.[1]);
  assert.match(answer, /a=rtpmap:102 H264\/90000/);
  const viewerEp = await create('WebRtcEndpoint', { mediaPipeline: P });
  await subscribe(viewerEp, 'MediaTranscodingStateChanged', 'Error');
  await invoke(rtp, 'connect', { sink: viewerEp });
  const viewer = await peers.create({ recvOnly: true });
  await viewer.connectTo(c, viewerEp, sid);
  gst(`videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30 ! video/x-h264,profile=constrained-baseline ! rtph264pay pt=102 mtu=1200 config-interval=-1 ! udpsink host=127.0.0.1 port=${port}`);
  await until(async () => (await viewer.received()).frames > 20, 20_000, 'VP8 frames decoded by the viewer');
  const got = await viewer.received();
  assert.equal(got.width, 320);
  assert.ok(got.checksums > 5, 'the ball moves');
  const transcoding = events.find((e) => e.object === viewerEp && e.type === 'MediaTranscodingStateChanged');
  assert.equal(transcoding?.data.state, 'TRANSCODING');
  assert.equal(transcoding?.data.mediaType, 'VIDEO');
  assert.equal(await invoke(viewerEp, 'isMediaTranscoding', { mediaType: 'VIDEO' }), true);
  assert.equal(await invoke(viewerEp, 'isMediaTranscoding', { mediaType: 'AUDIO' }), false);
  assert.equal(events.filter((e) => e.object === viewerEp && e.type === 'Error').length, 0);
  assert.equal(engineChildren().length, 1, 'one engine process');
  const dot = (await invoke(P, 'getGstreamerDot', {})) as string;
  assert.match(dot, /subgraph cluster_media_engine/, 'the engine\'s own graph is in the pipeline\'s DOT');
  assert.match(dot, /avdec_h264/);
  assert.match(dot, /GstVP8Enc/);
  await c.ok('release', { object: P, sessionId: sid });
  await viewer.close();
});

test('a VP8 WebRTC publisher through an RtpEndpoint that negotiated only H.264 is decoded by GStreamer as H.264', async () => {
  const P = await create('MediaPipeline', {});
  const pubEp = await create('WebRtcEndpoint', { mediaPipeline: P });
  const rtp = await create('RtpEndpoint', { mediaPipeline: P });
  const gstPort = await freeUdpPort();
  const decoder = gst(`udpsrc port=${gstPort} caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=102 ! rtpjitterbuffer latency=100 ! rtph264depay ! h264parse ! avdec_h264 ! fakesink num-buffers=30`);
  await invoke(rtp, 'processOffer', { offer: sdp(gstPort, 'recvonly', 'video', ['102 H264/90000']) });
  await invoke(pubEp, 'connect', { sink: rtp });
  const publisher = await peers.create();
  await publisher.connectTo(c, pubEp, sid);
  // A second sink of the same format shares the transcoder (one per source and target
  // format); it goes with the last of them.
  const rtp2 = await create('RtpEndpoint', { mediaPipeline: P });
  const quiet = dgram.createSocket('udp4');
  await new Promise<void>((r) => quiet.bind(0, '127.0.0.1', () => r()));
  await subscribe(rtp, 'MediaTranscodingStateChanged');
  await subscribe(rtp2, 'MediaTranscodingStateChanged');
  await invoke(rtp2, 'processOffer', { offer: sdp(quiet.address().port, 'recvonly', 'video', ['102 H264/90000']) });
  await invoke(pubEp, 'connect', { sink: rtp2 });
  const code = await exitCode(decoder, 25_000);
  assert.equal(code, 0, 'GStreamer decoded 30 H.264 frames and finished');
  assert.equal(await invoke(rtp, 'isMediaTranscoding', { mediaType: 'VIDEO' }), true);
  await until(() => events.some((e) => e.object === rtp2 && e.type === 'MediaTranscodingStateChanged'), 5_000, 'the second sink transcoded');
  const bins = () => events.filter((e) => e.type === 'MediaTranscodingStateChanged' && e.data.state === 'TRANSCODING' && (e.object === rtp || e.object === rtp2)).map((e) => e.data.binName);
  assert.equal(new Set(bins()).size, 1, `one transcoder for both H.264 sinks: ${JSON.stringify(bins())}`);
  const engineBins = async () => (await fluo.server.media.engineStats()).reduce((n, p) => n + p.bins, 0);
  const withTwo = await engineBins();
  await c.ok('release', { object: rtp2, sessionId: sid });
  assert.equal(await engineBins(), withTwo, 'the transcoder stays for the sink left');
  await c.ok('release', { object: rtp, sessionId: sid });
  await until(async () => (await engineBins()) === 0, 5_000, 'the transcoder goes with its last sink');
  quiet.close();
  await c.ok('release', { object: P, sessionId: sid });
  await publisher.close();
});

test('a plain RTP receiver that negotiated no PLI and listens late still gets a picture: a keyframe every 2 s for it', async () => {
  const P = await create('MediaPipeline', {});
  const pubEp = await create('WebRtcEndpoint', { mediaPipeline: P });
  const rtp = await create('RtpEndpoint', { mediaPipeline: P });
  const gstPort = await freeUdpPort();
  // No a=rtcp-fb in the offer: this peer cannot ask for a keyframe (gst-launch's udpsrc sends no RTCP).
  await invoke(rtp, 'processOffer', { offer: sdp(gstPort, 'recvonly', 'video', ['102 H264/90000']) });
  await invoke(pubEp, 'connect', { sink: rtp });
  const publisher = await peers.create();
  await publisher.connectTo(c, pubEp, sid);
  // The transcoder's first keyframe goes to a port nobody listens on yet.
  const engineBins = async () => (await fluo.server.media.engineStats()).reduce((n, p) => n + p.bins, 0);
  await until(async () => (await engineBins()) > 0, 10_000, 'the transcoder runs');
  await new Promise((r) => setTimeout(r, 1500));
  const t0 = performance.now();
  const decoder = gst(`udpsrc port=${gstPort} caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=102 ! rtpjitterbuffer latency=100 ! rtph264depay ! h264parse ! avdec_h264 ! fakesink num-buffers=10`);
  assert.equal(await exitCode(decoder, 15_000), 0, 'the late receiver decoded 10 H.264 frames');
  const ms = performance.now() - t0;
  console.log(`# a late plain RTP receiver decoded 10 frames ${Math.round(ms)} ms after it started (keyframes every ${BLIND_KEYFRAME_INTERVAL_MS} ms for it)`);
  assert.ok(ms < BLIND_KEYFRAME_INTERVAL_MS + 3000, `decoded ${Math.round(ms)} ms after it started listening`);
  await c.ok('release', { object: P, sessionId: sid });
  await publisher.close();
});

test('VP8 to VP8 starts no engine process', async () => {
  await c.close();
  await fluo.stop();
  fluo = await startFluo();
  await connect();
  const P = await create('MediaPipeline', {});
  const a = await create('WebRtcEndpoint', { mediaPipeline: P });
  const b = await create('WebRtcEndpoint', { mediaPipeline: P });
  await invoke(a, 'connect', { sink: b });
  const publisher = await peers.create();
  const viewer = await peers.create({ recvOnly: true });
  await publisher.connectTo(c, a, sid);
  await viewer.connectTo(c, b, sid);
  await until(async () => (await viewer.received()).frames > 15, 15_000, 'frames forwarded');
  assert.deepEqual(engineChildren(), [], 'forwarding needs no engine');
  assert.equal(await invoke(b, 'isMediaTranscoding', { mediaType: 'VIDEO' }), false);
  await c.ok('release', { object: P, sessionId: sid });
  await publisher.close();
  await viewer.close();
});

test('an engine crash raises Error on the transcoded sink while forwarding goes on; the next packets start a fresh engine', async () => {
  const P = await create('MediaPipeline', {});
  const pubEp = await create('WebRtcEndpoint', { mediaPipeline: P });
  const viewEp = await create('WebRtcEndpoint', { mediaPipeline: P });
  const rtp = await create('RtpEndpoint', { mediaPipeline: P });
  await subscribe(rtp, 'Error', 'MediaTranscodingStateChanged', 'MediaFlowOutStateChanged');
  const sink = dgram.createSocket('udp4');
  let h264 = 0;
  sink.on('message', (m) => { if ((m[1]! & 0x7f) === 102) h264++; });
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
  try {
    await invoke(rtp, 'processOffer', { offer: sdp(sink.address().port, 'recvonly', 'video', ['102 H264/90000']) });
    await invoke(pubEp, 'connect', { sink: viewEp });
    await invoke(pubEp, 'connect', { sink: rtp });
    const publisher = await peers.create();
    const viewer = await peers.create({ recvOnly: true });
    await publisher.connectTo(c, pubEp, sid);
    await viewer.connectTo(c, viewEp, sid);
    await until(() => h264 > 50, 20_000, 'H.264 out of the transcoder');
    await until(async () => (await viewer.received()).frames > 10, 10_000, 'VP8 forwarded to the viewer');
    const [pid] = engineChildren();
    assert.ok(pid, 'an engine process runs');
    process.kill(pid, 'SIGKILL');
    await until(() => events.some((e) => e.object === rtp && e.type === 'Error'), 5_000, 'Error on the transcoded sink');
    const err = events.find((e) => e.object === rtp && e.type === 'Error')!;
    assert.equal(err.data.type, 'MEDIA_ENGINE_ERROR');
    assert.match(String(err.data.description), /VP8\/90000 to H264\/90000 .*stopped/);
    // The issue: MediaFlow* go NOT_FLOWING, with the Error, not after a quiet period.
    const flowOut = () => events.filter((e) => e.object === rtp && e.type === 'MediaFlowOutStateChanged' && e.data.mediaType === 'VIDEO').map((e) => e.data.state);
    await until(() => flowOut().at(-1) === 'NOT_FLOWING', 1_000, `MediaFlowOut NOT_FLOWING on the transcoded sink: ${JSON.stringify(flowOut())}`);
    const framesAtCrash = (await viewer.received()).frames;
    const packetsAtCrash = h264;
    await until(async () => (await viewer.received()).frames > framesAtCrash + 30, 10_000, 'forwarding goes on after the engine crash');
    // After the retry delay the next packet starts a transcoder on a fresh engine process.
    await until(() => h264 > packetsAtCrash + 50 && engineChildren().length === 1 && engineChildren()[0] !== pid, 20_000, 'transcoding again on a new engine');
    assert.equal(await invoke(rtp, 'isMediaTranscoding', { mediaType: 'VIDEO' }), true);
    await until(() => flowOut().at(-1) === 'FLOWING', 3_000, `MediaFlowOut FLOWING again: ${JSON.stringify(flowOut())}`);
    await c.ok('release', { object: P, sessionId: sid });
    await publisher.close();
    await viewer.close();
  } finally {
    sink.close();
  }
});

test('PCMU both ways through RtpEndpoints to WebRTC Opus peers: G.711 RTP decoded by a libwebrtc viewer, a libwebrtc Opus publisher decoded by GStreamer as PCMU', async () => {
  const P = await create('MediaPipeline', {});
  // RTP (PCMU only) -> RtpEndpoint -> WebRtcEndpoint -> a viewer that takes Opus.
  const rtpIn = await create('RtpEndpoint', { mediaPipeline: P });
  const viewEp = await create('WebRtcEndpoint', { mediaPipeline: P });
  const answer = String(await invoke(rtpIn, 'processOffer', { offer: sdp(9, 'sendonly', 'audio', ['0 PCMU/8000']) }));
  const inPort = Number(/m=audio (\d+)/.exec(answer)?.[1]);
  gst(`audiotestsrc is-live=true wave=sine freq=440 ! audio/x-raw,rate=8000,channels=1 ! mulawenc ! rtppcmupay pt=0 ! udpsink host=127.0.0.1 port=${inPort}`);
  await invoke(rtpIn, 'connect', { sink: viewEp, mediaType: 'AUDIO' });
  const viewer = await peers.create({ recvOnly: true });
  await viewer.connectTo(c, viewEp, sid);
  const decoded = async (): Promise<{ samples: number; concealed: number; codec: string }> => {
    const stats = (await viewer.call('stats')) as Array<Record<string, unknown>>;
    const inbound = stats.find((s) => s.type === 'inbound-rtp' && s.kind === 'audio');
    const codec = stats.find((s) => s.type === 'codec' && s.id === inbound?.codecId);
    return { samples: Number(inbound?.totalSamplesReceived ?? 0), concealed: Number(inbound?.concealedSamples ?? 0), codec: String(codec?.mimeType ?? '') };
  };
  await until(async () => { const d = await decoded(); return d.samples - d.concealed > 48_000; }, 15_000, 'a second of decoded audio at the viewer');
  const d = await decoded();
  assert.match(d.codec, /opus/i, `the viewer decodes Opus: ${JSON.stringify(d)}`);
  assert.equal(await invoke(viewEp, 'isMediaTranscoding', { mediaType: 'AUDIO' }), true);

  // A WebRTC publisher (Opus) -> WebRtcEndpoint -> RtpEndpoint that negotiated only PCMU -> GStreamer.
  const pubEp = await create('WebRtcEndpoint', { mediaPipeline: P });
  const rtpOut = await create('RtpEndpoint', { mediaPipeline: P });
  const outPort = await freeUdpPort();
  const decoder = gst(`udpsrc port=${outPort} caps=application/x-rtp,media=audio,clock-rate=8000,encoding-name=PCMU,payload=0 ! rtpjitterbuffer latency=100 ! rtppcmudepay ! mulawdec ! fakesink num-buffers=100`);
  await invoke(rtpOut, 'processOffer', { offer: sdp(outPort, 'recvonly', 'audio', ['0 PCMU/8000']) });
  await invoke(pubEp, 'connect', { sink: rtpOut, mediaType: 'AUDIO' });
  const publisher = await peers.create();
  await publisher.connectTo(c, pubEp, sid);
  assert.equal(await exitCode(decoder, 20_000), 0, 'GStreamer decoded 100 PCMU buffers and finished');
  assert.equal(await invoke(rtpOut, 'isMediaTranscoding', { mediaType: 'AUDIO' }), true);
  await c.ok('release', { object: P, sessionId: sid });
  await viewer.close();
  await publisher.close();
});
