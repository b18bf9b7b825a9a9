/**
 * Headless Chromium (fake camera) against a Fluo WebRtcEndpoint in loopback, driven
 * over JSON-RPC: VP8, VP9 and H.264 (packetization-mode 1) come back and decode, and
 * the audio with Opus, PCMU or PCMA.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RpcClient } from '../helpers/fluo.ts';
import { chromiumAgainstFluo } from '../helpers/browser.ts';
import type { Page } from 'playwright-core';

const env = chromiumAgainstFluo();

/** What the browser learnt from one of Fluo's streams' sender reports (remote-outbound-rtp), next to what it received. */
interface Reported { kind: string; reportsSent: number; packetsSent: number; packetsReceived: number; remoteTimestamp: number }

async function loopback(codec: 'VP8' | 'VP9' | 'H264', audio: 'opus' | 'PCMU' | 'PCMA' = 'opus'): Promise<{ framesDecoded: number; codec: string; width: number; audioCodec: string; audioPackets: number; reported: Reported[] }> {
  const c = await RpcClient.open(env.fluo.url);
  const sid = (await c.ok('connect')).sessionId!;
  const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
  const ep = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P }, sessionId: sid })).value as string;
  await c.ok('invoke', { object: ep, operation: 'connect', operationParams: { sink: ep }, sessionId: sid });
  await c.ok('subscribe', { object: ep, type: 'IceCandidateFound', sessionId: sid });
  const tab: Page = await env.browser.context.newPage();
  await tab.goto(env.page.url);
  await tab.exposeFunction('sendCandidate', (cand: unknown) => c.request('invoke', { object: ep, operation: 'addIceCandidate', operationParams: { candidate: cand }, sessionId: sid }));
  c.onEvent((e) => {
    const v = e.params?.value;
    if (v?.object === ep && v.type === 'IceCandidateFound') void tab.evaluate((cand) => (window as unknown as { pc: RTCPeerConnection }).pc.addIceCandidate(cand as RTCIceCandidateInit), v.data.candidate);
  });
  const offer = await tab.evaluate(async (want) => {
    const pc = new RTCPeerConnection();
    (window as unknown as { pc: RTCPeerConnection }).pc = pc;
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
    for (const t of stream.getTracks()) pc.addTrack(t, stream);
    const vt = pc.getTransceivers().find((t) => t.sender.track?.kind === 'video')!;
    const caps = RTCRtpReceiver.getCapabilities('video')!.codecs;
    vt.setCodecPreferences([...caps.filter((c) => c.mimeType === `video/${want.video}` && (want.video !== 'H264' || /packetization-mode=1/.test(c.sdpFmtpLine ?? ''))), ...caps.filter((c) => c.mimeType !== `video/${want.video}`)]);
    const at = pc.getTransceivers().find((t) => t.sender.track?.kind === 'audio')!;
    const acaps = RTCRtpReceiver.getCapabilities('audio')!.codecs;
    at.setCodecPreferences([...acaps.filter((c) => c.mimeType.toLowerCase() === `audio/${want.audio.toLowerCase()}`), ...acaps.filter((c) => c.mimeType.toLowerCase() !== `audio/${want.audio.toLowerCase()}`)]);
    pc.onicecandidate = (e) => { if (e.candidate) void (window as unknown as { sendCandidate(c: unknown): void }).sendCandidate(e.candidate.toJSON()); };
    pc.ontrack = (e) => { if (e.track.kind === 'video') (document.getElementById('remote') as HTMLVideoElement).srcObject = new MediaStream([e.track]); };
    const o = await pc.createOffer();
    await pc.setLocalDescription(o);
    return o.sdp!;
  }, { video: codec, audio });
  const answer = (await c.ok('invoke', { object: ep, operation: 'processOffer', operationParams: { offer }, sessionId: sid })).value as string;
  await tab.evaluate((sdp) => (window as unknown as { pc: RTCPeerConnection }).pc.setRemoteDescription({ type: 'answer', sdp }), answer);
  await c.ok('invoke', { object: ep, operation: 'gatherCandidates', sessionId: sid });
  const result = await tab.evaluate(async () => {
    const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
    const end = Date.now() + 15000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      const stats = await pc.getStats();
      let framesDecoded = 0; let codecId = ''; let width = 0; let audioCodecId = ''; let audioPackets = 0;
      stats.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') { framesDecoded = s.framesDecoded ?? 0; codecId = s.codecId; width = s.frameWidth ?? 0; }
        if (s.type === 'inbound-rtp' && s.kind === 'audio') { audioCodecId = s.codecId; audioPackets = s.packetsReceived ?? 0; }
      });
      // No inner named functions here: tsx would wrap them in a helper the page lacks.
      const codec = codecId ? (stats.get(codecId) as { mimeType?: string } | undefined)?.mimeType ?? '' : '';
      const audioCodec = audioCodecId ? (stats.get(audioCodecId) as { mimeType?: string } | undefined)?.mimeType ?? '' : '';
      if ((framesDecoded > 30 && audioPackets > 50) || Date.now() > end) return { framesDecoded, codec, width, audioCodec, audioPackets };
    }
  });
  // Fluo's sender reports (RFC 3550 §6.4.1, about one a second per transport, SRTCP
  // protected by Fluo itself): the browser shows each stream's as remote-outbound-rtp.
  const reported = await tab.evaluate(async () => {
    const pc = (window as unknown as { pc: RTCPeerConnection }).pc;
    const end = Date.now() + 6000;
    for (;;) {
      const stats = await pc.getStats();
      const out: Array<{ kind: string; reportsSent: number; packetsSent: number; packetsReceived: number; remoteTimestamp: number }> = [];
      stats.forEach((s) => {
        if (s.type !== 'remote-outbound-rtp') return;
        const local = stats.get(s.localId) as { packetsReceived?: number } | undefined;
        out.push({ kind: s.kind, reportsSent: s.reportsSent ?? 0, packetsSent: s.packetsSent ?? 0, packetsReceived: local?.packetsReceived ?? 0, remoteTimestamp: s.remoteTimestamp ?? 0 });
      });
      if ((out.length === 2 && out.every((r) => r.reportsSent >= 2)) || Date.now() > end) return out;
      await new Promise((r) => setTimeout(r, 250));
    }
  });
  const video = await tab.evaluate(() => { const v = document.getElementById('remote') as HTMLVideoElement; return { t: v.currentTime, w: v.videoWidth }; });
  assert.ok(video.w > 0, 'the <video> element shows the returned stream');
  await c.ok('release', { object: P, sessionId: sid });
  await tab.close();
  await c.close();
  return { ...result, reported };
}

test('Chromium loopback with VP8', async () => {
  const r = await loopback('VP8');
  assert.ok(r.framesDecoded > 30, `frames decoded: ${r.framesDecoded}`);
  assert.equal(r.codec, 'video/VP8');
  assert.equal(r.audioCodec, 'audio/opus');
  assert.ok(r.audioPackets > 50, `Opus packets back: ${r.audioPackets}`);
  // Both streams' sender reports reached the browser and say what was sent: their
  // packet counts are Fluo's for the SSRC, at most a report interval behind what the
  // browser has received since, and their NTP time is now (the wall clocks are one).
  assert.deepEqual(r.reported.map((x) => x.kind).sort(), ['audio', 'video'], JSON.stringify(r.reported));
  for (const x of r.reported) {
    assert.ok(x.reportsSent >= 2, `${x.kind}: sender reports seen ${x.reportsSent}`);
    assert.ok(x.packetsSent > 0 && x.packetsSent <= x.packetsReceived + 5 && x.packetsSent > x.packetsReceived * 0.5, `${x.kind}: SR count ${x.packetsSent} against ${x.packetsReceived} received`);
    assert.ok(Math.abs(x.remoteTimestamp - Date.now()) < 10_000, `${x.kind}: SR time ${new Date(x.remoteTimestamp).toISOString()}`);
  }
});

test('Chromium loopback with VP9', async () => {
  const r = await loopback('VP9');
  assert.ok(r.framesDecoded > 30, `frames decoded: ${r.framesDecoded}`);
  assert.equal(r.codec, 'video/VP9');
});

test('Chromium loopback with G.711 audio (PCMU, then PCMA)', async () => {
  for (const audio of ['PCMU', 'PCMA'] as const) {
    const r = await loopback('VP8', audio);
    assert.equal(r.audioCodec, `audio/${audio}`);
    assert.ok(r.audioPackets > 50, `${audio} packets back: ${r.audioPackets}`);
  }
});

test('Chromium loopback with H.264 (packetization-mode 1)', async () => {
  const r = await loopback('H264');
  assert.ok(r.framesDecoded > 30, `frames decoded: ${r.framesDecoded}`);
  assert.equal(r.codec, 'video/H264');
});
