/**
 * RtpEndpoint against real RTP tools: a GStreamer test pattern sent into Fluo comes out
 * of a WebRtcEndpoint to a libwebrtc peer; a WebRTC peer's stream comes out of an
 * RtpEndpoint and GStreamer decodes it; SRTP (SDES) between two RtpEndpoints.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { startFluo, RpcClient, sleep, assertWorkersIdle } from '../helpers/fluo.ts';
import { RemotePeers, until } from '../helpers/RemotePeers.ts';
import { GstLaunches, freeUdpPort, exitCode } from '../helpers/gstreamer.ts';

const peers = new RemotePeers();
let fluo: Awaited<ReturnType<typeof startFluo>>;
let c: RpcClient;
let sid: string;
const launches = new GstLaunches();
before(async () => {
  fluo = await startFluo();
  c = await RpcClient.open(fluo.url);
  sid = (await c.ok('connect')).sessionId!;
});
after(async () => {
  launches.killAll();
  peers.stop();
  await c.close();
  await fluo.stop();
});

const create = async (type: string, constructorParams: Record<string, unknown>): Promise<string> =>
  (await c.ok('create', { type, constructorParams, sessionId: sid })).value as string;
const invoke = async (object: string, operation: string, operationParams?: unknown): Promise<unknown> =>
  (await c.ok('invoke', { object, operation, operationParams, sessionId: sid })).value;

const gst = (pipeline: string): ChildProcess => launches.launch(pipeline);

const sdp = (port: number, direction: string, extra: string[] = [], proto = 'RTP/AVP') => ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=gst', 'c=IN IP4 127.0.0.1', 't=0 0',
  `m=video ${port} ${proto} 96`, 'a=rtpmap:96 VP8/90000', ...extra, `a=${direction}`, ''].join('\r\n');

test('GStreamer VP8 RTP into an RtpEndpoint reaches a WebRTC viewer', async () => {
  const P = await create('MediaPipeline', {});
  const rtp = await create('RtpEndpoint', { mediaPipeline: P });
  const gstPort = await freeUdpPort();
  const answer = (await invoke(rtp, 'processOffer', { offer: sdp(gstPort, 'sendonly') })) as string;
  const port = Number(/m=video (\d+) RTP\/AVP/.exec(answer)?.[1]);
  assert.ok(port > 0, answer);
  assert.match(answer, /a=recvonly/);
  const viewerEp = await create('WebRtcEndpoint', { mediaPipeline: P });
  await invoke(rtp, 'connect', { sink: viewerEp });
  const viewer = await peers.create({ recvOnly: true });
  await viewer.connectTo(c, viewerEp, sid);
  gst(`videotestsrc is-live=true pattern=ball ! video/x-raw,width=320,height=240,framerate=15/1 ! vp8enc deadline=1 keyframe-max-dist=10 ! rtpvp8pay pt=96 mtu=1200 ! udpsink host=127.0.0.1 port=${port}`);
  await until(async () => (await viewer.received()).frames > 15, 15_000, 'frames at the WebRTC viewer');
  const got = await viewer.received();
  assert.ok(got.checksums > 5, 'the ball moves');
  assert.equal(got.width, 320);
  const stats = (await invoke(rtp, 'getStats', { mediaType: 'VIDEO' })) as Record<string, Record<string, unknown>>;
  assert.ok(Object.values(stats).some((s) => s.type === 'inboundrtp' && Number(s.packetsReceived) > 0));
  await c.ok('release', { object: P, sessionId: sid });
  await viewer.close();
  await assertWorkersIdle(fluo.server);
});

test('a WebRTC peer through an RtpEndpoint (Fluo offers) is decoded by GStreamer', async () => {
  const P = await create('MediaPipeline', {});
  const pubEp = await create('WebRtcEndpoint', { mediaPipeline: P });
  const rtp = await create('RtpEndpoint', { mediaPipeline: P });
  const offer = (await invoke(rtp, 'generateOffer')) as string;
  assert.match(offer, /m=video \d+ RTP\/AVP 96 98 102/);
  assert.match(offer, /a=rtpmap:96 VP8\/90000/);
  const gstPort = await freeUdpPort();
  const decoder = gst(`udpsrc port=${gstPort} caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=96 ! rtpjitterbuffer latency=100 ! rtpvp8depay ! vp8dec ! fakesink num-buffers=30`);
  await invoke(rtp, 'processAnswer', { answer: sdp(gstPort, 'recvonly') });
  await invoke(pubEp, 'connect', { sink: rtp });
  const publisher = await peers.create();
  await publisher.connectTo(c, pubEp, sid);
  const code = await exitCode(decoder, 20_000);
  assert.equal(code, 0, 'GStreamer decoded 30 frames and finished');
  await c.ok('release', { object: P, sessionId: sid });
  await publisher.close();
  await assertWorkersIdle(fluo.server);
});

test('SRTP with SDES keys between two RtpEndpoints carries a WebRTC stream', async () => {
  const P = await create('MediaPipeline', {});
  const pubEp = await create('WebRtcEndpoint', { mediaPipeline: P });
  const key = Buffer.alloc(30, 7).toString('base64');
  const a = await create('RtpEndpoint', { mediaPipeline: P, crypto: { crypto: 'AES_128_CM_HMAC_SHA1_80', keyBase64: key } });
  const b = await create('RtpEndpoint', { mediaPipeline: P, crypto: { crypto: 'AES_128_CM_HMAC_SHA1_80' } });
  const offer = (await invoke(a, 'generateOffer')) as string;
  assert.match(offer, /RTP\/SAVP/);
  assert.match(offer, /a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/);
  const answer = (await invoke(b, 'processOffer', { offer })) as string;
  assert.match(answer, /a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/);
  await invoke(a, 'processAnswer', { answer });
  const viewerEp = await create('WebRtcEndpoint', { mediaPipeline: P });
  await invoke(pubEp, 'connect', { sink: a });
  await invoke(b, 'connect', { sink: viewerEp });
  const publisher = await peers.create();
  const viewer = await peers.create({ recvOnly: true });
  await publisher.connectTo(c, pubEp, sid);
  await viewer.connectTo(c, viewerEp, sid);
  await until(async () => (await viewer.received()).frames > 15, 15_000, 'frames through SRTP');
  // A keyframe request from b crosses to a as SRTCP (RFC 3711 §3.4) and is read there.
  // Asked explicitly: whether the viewer's own request at connect goes out depends on
  // b having seen a's SSRC yet, and the publisher's first frame is a keyframe anyway.
  let out: Record<string, unknown> | undefined;
  await until(async () => {
    await invoke(b, 'requestKeyframe'); // rate-limited to one per 300 ms inside b
    const stats = (await invoke(a, 'getStats', { mediaType: 'VIDEO' })) as Record<string, Record<string, unknown>>;
    out = Object.values(stats).find((s) => s.type === 'outboundrtp');
    return Number(out?.pliCount) > 0;
  }, 3_000, `PLI over SRTCP reaching the sender: ${JSON.stringify(out)}`);
  // targetBitrate, as KMS: the rate the RtpEndpoint measures it sends at (sampled with
  // its sender reports, every 2 s), here the publisher's video.
  await until(async () => {
    const stats = (await invoke(a, 'getStats', { mediaType: 'VIDEO' })) as Record<string, Record<string, unknown>>;
    out = Object.values(stats).find((s) => s.type === 'outboundrtp');
    return Number(out?.targetBitrate) > 50_000;
  }, 6_000, `the RtpEndpoint's measured send rate: ${JSON.stringify(out)}`);
  await c.ok('release', { object: P, sessionId: sid });
  await publisher.close();
  await viewer.close();
});

test('RtpEndpoint SDP errors and unsupported crypto', async () => {
  const P = await create('MediaPipeline', {});
  const rtp = await create('RtpEndpoint', { mediaPipeline: P });
  for (const offer of ['', 'nonsense', 'v=0\r\nthis is not sdp\r\n', 'v=0\r\ns=-\r\n']) {
    const r = await c.request('invoke', { object: rtp, operation: 'processOffer', operationParams: { offer }, sessionId: sid });
    assert.equal(r.error?.code, 40201, `${JSON.stringify(offer)} -> ${JSON.stringify(r.error)}`);
  }
  const r2 = await create('RtpEndpoint', { mediaPipeline: P });
  const bad = await c.request('invoke', { object: r2, operation: 'processOffer', operationParams: { offer: sdp(5000, 'sendrecv', ['a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:' + Buffer.alloc(46).toString('base64')], 'RTP/SAVP') }, sessionId: sid });
  assert.equal(bad.error?.code, 40207);
  await c.ok('release', { object: P, sessionId: sid });
});

/** A minimal RTP packet (RFC 3550 §5.1): VP8's payload type 96, a 20-byte payload. */
function rtpPacket(seq: number, ssrc: number): Buffer {
  const b = Buffer.alloc(32);
  b[0] = 0x80;
  b[1] = 96;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(seq * 3000, 4);
  b.writeUInt32BE(ssrc, 8);
  b[12] = 0x10; // VP8 payload descriptor: start of partition
  return b;
}

test('COMEDIA: an offer without an address gets Fluo\'s media at the address its RTP came from; a stranger is ignored', async () => {
  const P = await create('MediaPipeline', {});
  const rtp = await create('RtpEndpoint', { mediaPipeline: P });
  await invoke(rtp, 'connect', { sink: rtp }); // loopback: what the peer sends comes back
  // No usable address (c=0.0.0.0, port 9), as a peer behind NAT offers (COMEDIA, RFC 4145).
  const offer = ['v=0', 'o=- 1 1 IN IP4 0.0.0.0', 's=comedia', 'c=IN IP4 0.0.0.0', 't=0 0',
    'm=video 9 RTP/AVP 96', 'a=rtpmap:96 VP8/90000', 'a=direction:active', 'a=sendrecv', ''].join('\r\n');
  const answer = (await invoke(rtp, 'processOffer', { offer })) as string;
  const port = Number(/m=video (\d+) RTP\/AVP/.exec(answer)?.[1]);
  assert.ok(port > 0, answer);
  assert.match(answer, /a=direction:passive/, 'the answer to an active peer is passive (RFC 4145), as Kurento writes it');
  const open = async (address: string): Promise<{ sock: dgram.Socket; got: Buffer[] }> => {
    const sock = dgram.createSocket('udp4');
    const got: Buffer[] = [];
    sock.on('message', (m) => got.push(m));
    await new Promise<void>((r) => sock.bind(0, address, () => r()));
    return { sock, got };
  };
  const peer = await open('127.0.0.1');
  // Another loopback address (all of 127/8 is local on Linux) stands for a stranger.
  const stranger = await open('127.0.0.2');
  try {
    for (let i = 0; i < 40; i++) {
      peer.sock.send(rtpPacket(1000 + i, 0x1234), port, '127.0.0.1');
      if (i === 20) for (let j = 0; j < 10; j++) stranger.sock.send(rtpPacket(5000 + j, 0x9999), port, '127.0.0.1');
      await sleep(5);
    }
    await until(() => peer.got.length >= 30, 5_000, `RTP back at the latched address (${peer.got.length})`);
    assert.ok(peer.got.every((m) => m[0]! >> 6 === 2 && (m[1]! & 0x7f) === 96), 'RTP with the answered payload type');
    assert.equal(stranger.got.length, 0, 'nothing goes to the stranger');
    // The stranger's packets were neither latched onto nor forwarded.
    const ssrcs = new Set(peer.got.map((m) => m.readUInt32BE(8)));
    assert.equal(ssrcs.size, 1, 'one outgoing stream');
    await sleep(200);
    assert.ok(peer.got.length <= 40, `only the peer's 40 packets came back (${peer.got.length})`);
    const stats = (await invoke(rtp, 'getStats', { mediaType: 'VIDEO' })) as Record<string, Record<string, unknown>>;
    const inbound = Object.values(stats).find((s) => s.type === 'inboundrtp');
    assert.equal(Number(inbound?.packetsReceived), 40, `the peer's packets counted: ${JSON.stringify(inbound)}`);
    assert.equal(Number(inbound?.packetsDropped), 10, 'the stranger\'s dropped and counted');
  } finally {
    peer.sock.close();
    stranger.sock.close();
    await c.ok('release', { object: P, sessionId: sid });
  }
});
