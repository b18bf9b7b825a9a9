/**
 * The case behind most of Kurento's transcoding: a VP8 publisher and a viewer that
 * takes only H.264 (Safari's case), here headless Chromium offering only H.264
 * Constrained Baseline and PCMU, its decoding proven by its own getStats and the
 * picture in its <video>. The publisher is a libwebrtc peer (VP8 and Opus, which it
 * cannot change: @roamhq/wrtc has no H.264).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RpcClient } from '../helpers/fluo.ts';
import { chromiumAgainstFluo } from '../helpers/browser.ts';
import { RemotePeers } from '../helpers/RemotePeers.ts';
import { engineChildren } from '../helpers/engine.ts';
import type { Page } from 'playwright-core';

const env = chromiumAgainstFluo();

interface ViewerStats { framesDecoded: number; codec: string; width: number; audioCodec: string; audioPackets: number; keyFramesDecoded: number }

test('a VP8 + Opus libwebrtc publisher reaches an H.264 + PCMU-only Chromium viewer through transcoders', async () => {
  const peers = new RemotePeers();
  const c = await RpcClient.open(env.fluo.url);
  const sid = (await c.ok('connect')).sessionId!;
  const ok = async (method: string, params: Record<string, unknown>): Promise<unknown> => (await c.ok(method, { ...params, sessionId: sid })).value;
  const events: Array<{ object: string; type: string; data: Record<string, unknown> }> = [];
  c.onEvent((e) => { const v = e.params?.value; if (v) events.push({ object: v.object, type: v.type, data: v.data as Record<string, unknown> }); });
  const P = (await ok('create', { type: 'MediaPipeline' })) as string;
  const pubEp = (await ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P } })) as string;
  const viewEp = (await ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P } })) as string;
  for (const type of ['MediaTranscodingStateChanged', 'Error', 'IceCandidateFound']) await ok('subscribe', { object: viewEp, type });
  await ok('invoke', { object: pubEp, operation: 'connect', operationParams: { sink: viewEp } });
  const publisher = await peers.create();
  await publisher.connectTo(c, pubEp, sid);

  const tab: Page = await env.browser.context.newPage();
  try {
    await tab.goto(env.page.url);
    await tab.exposeFunction('sendCandidate', (cand: unknown) => c.request('invoke', { object: viewEp, operation: 'addIceCandidate', operationParams: { candidate: cand }, sessionId: sid }));
    c.onEvent((e) => {
      const v = e.params?.value;
      if (v?.object === viewEp && v.type === 'IceCandidateFound') void tab.evaluate((cand) => (window as unknown as { pc: RTCPeerConnection }).pc.addIceCandidate(cand as RTCIceCandidateInit), v.data.candidate);
    });
    const offer = await tab.evaluate(async () => {
      const pc = new RTCPeerConnection();
      (window as unknown as { pc: RTCPeerConnection }).pc = pc;
      const video = pc.addTransceiver('video', { direction: 'recvonly' });
      const audio = pc.addTransceiver('audio', { direction: 'recvonly' });
      // Only H.264 Constrained Baseline, packetization mode 1 (what Safari prefers), and PCMU.
      video.setCodecPreferences(RTCRtpReceiver.getCapabilities('video')!.codecs.filter((c) => c.mimeType === 'video/H264' && /profile-level-id=42e01f/.test(c.sdpFmtpLine ?? '') && /packetization-mode=1/.test(c.sdpFmtpLine ?? '')));
      audio.setCodecPreferences(RTCRtpReceiver.getCapabilities('audio')!.codecs.filter((c) => c.mimeType === 'audio/PCMU'));
      pc.onicecandidate = (e) => { if (e.candidate) void (window as unknown as { sendCandidate(c: unknown): void }).sendCandidate(e.candidate.toJSON()); };
      pc.ontrack = (e) => { if (e.track.kind === 'video') (document.getElementById('remote') as HTMLVideoElement).srcObject = new MediaStream([e.track]); };
      const o = await pc.createOffer();
      await pc.setLocalDescription(o);
      return o.sdp!;
    });
    assert.doesNotMatch(offer, /VP8|VP9|opus/i, 'the viewer offers H.264 and PCMU only');
    const answer = (await ok('invoke', { object: viewEp, operation: 'processOffer', operationParams: { offer } })) as string;
    assert.match(answer, /a=rtpmap:\d+ H264\/90000/);
    await tab.evaluate((sdp) => (window as unknown as { pc: RTCPeerConnection }).pc.setRemoteDescription({ type: 'answer', sdp }), answer);
    await ok('invoke', { object: viewEp, operation: 'gatherCandidates' });

    const r: ViewerStats = await tab.evaluate(async () => {
      const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
      const end = Date.now() + 25000;
      for (;;) {
        await new Promise((res) => setTimeout(res, 250));
        const stats = await pc.getStats();
        let framesDecoded = 0; let keyFramesDecoded = 0; let codecId = ''; let width = 0; let audioCodecId = ''; let audioPackets = 0;
        stats.forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') { framesDecoded = s.framesDecoded ?? 0; keyFramesDecoded = s.keyFramesDecoded ?? 0; codecId = s.codecId; width = s.frameWidth ?? 0; }
          if (s.type === 'inbound-rtp' && s.kind === 'audio') { audioCodecId = s.codecId; audioPackets = s.packetsReceived ?? 0; }
        });
        const codec = codecId ? (stats.get(codecId) as { mimeType?: string } | undefined)?.mimeType ?? '' : '';
        const audioCodec = audioCodecId ? (stats.get(audioCodecId) as { mimeType?: string } | undefined)?.mimeType ?? '' : '';
        if ((framesDecoded > 60 && audioPackets > 100) || Date.now() > end) return { framesDecoded, keyFramesDecoded, codec, width, audioCodec, audioPackets };
      }
    });
    assert.equal(r.codec, 'video/H264', JSON.stringify(r));
    assert.ok(r.framesDecoded > 60, `H.264 frames decoded by Chromium: ${JSON.stringify(r)}`);
    assert.ok(r.width > 0);
    assert.equal(r.audioCodec, 'audio/PCMU');
    assert.ok(r.audioPackets > 100, `PCMU packets: ${r.audioPackets}`);

    // The picture moves in the page: the publisher's synthetic frames change from one to the next.
    const shot = async (): Promise<string> => tab.evaluate(() => {
      const v = document.getElementById('remote') as HTMLVideoElement;
      const cv = document.createElement('canvas');
      cv.width = 64; cv.height = 48;
      cv.getContext('2d')!.drawImage(v, 0, 0, 64, 48);
      return cv.toDataURL();
    });
    const first = await shot();
    await new Promise((res) => setTimeout(res, 700));
    assert.notEqual(await shot(), first, 'the <video> shows a changing picture');

    const states = events.filter((e) => e.object === viewEp && e.type === 'MediaTranscodingStateChanged').map((e) => `${String(e.data.mediaType)}:${String(e.data.state)}`);
    assert.ok(states.includes('VIDEO:TRANSCODING') && states.includes('AUDIO:TRANSCODING'), states.join());
    assert.equal(await ok('invoke', { object: viewEp, operation: 'isMediaTranscoding', operationParams: { mediaType: 'VIDEO' } }), true);
    assert.equal(await ok('invoke', { object: pubEp, operation: 'isMediaTranscoding', operationParams: { mediaType: 'VIDEO' } }), false, 'the publisher\'s input is not transcoded');
    assert.deepEqual(events.filter((e) => e.type === 'Error'), []);
    assert.equal(engineChildren().length, 1, 'audio and video transcoders share one engine process');
  } finally {
    await ok('release', { object: P });
    await tab.close();
    await publisher.close();
    peers.stop();
    await c.close();
  }
});
