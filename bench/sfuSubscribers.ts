/**
 * Child process of bench/sfu.ts: werift peers that subscribe to a Fluo publisher and
 * only count what arrives (packets, sequence gaps), so the measurement loads Fluo,
 * not a decoder. Driven over IPC: {op:'add', url, pipeline, source, count} and {op:'counts'}.
 */
import { RTCPeerConnection, useNACK, usePLI, useREMB, RTCRtpCodecParameters } from 'werift';
import { RpcClient } from '../test/helpers/fluo.ts';

interface Sub { pc: RTCPeerConnection; packets: number; expected: number; lastSeq: Map<number, number>; firstAt: number }
const subs: Sub[] = [];
let rpc: RpcClient | undefined;
let sid = '';

async function add(url: string, pipeline: string, source: string, count: number): Promise<number[]> {
  if (!rpc) {
    rpc = await RpcClient.open(url);
    sid = (await rpc.ok('connect')).sessionId!;
  }
  const c = rpc;
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const ep = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: pipeline }, sessionId: sid })).value as string;
    await c.ok('invoke', { object: ep, operation: 'setMaxVideoSendBandwidth', operationParams: { maxVideoSendBandwidth: 2000 }, sessionId: sid });
    await c.ok('invoke', { object: source, operation: 'connect', operationParams: { sink: ep }, sessionId: sid });
    const pc = new RTCPeerConnection({
      iceAdditionalHostAddresses: ['127.0.0.1'],
      codecs: {
        video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: [useNACK(), usePLI(), useREMB()] })],
        audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
      },
    });
    const sub: Sub = { pc, packets: 0, expected: 0, lastSeq: new Map(), firstAt: 0 };
    subs.push(sub);
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        if (!sub.firstAt) sub.firstAt = performance.now();
        sub.packets++;
        const last = sub.lastSeq.get(rtp.header.ssrc);
        const gap = last === undefined ? 1 : ((rtp.header.sequenceNumber - last + 65536) % 65536);
        if (gap > 0 && gap < 1000) sub.expected += gap;
        if (last === undefined || (gap > 0 && gap < 1000)) sub.lastSeq.set(rtp.header.ssrc, rtp.header.sequenceNumber);
      });
    });
    await c.ok('subscribe', { object: ep, type: 'IceCandidateFound', sessionId: sid });
    c.onEvent((e) => {
      const v = e.params?.value;
      if (v?.object === ep && v.type === 'IceCandidateFound') pc.addIceCandidate(v.data.candidate as { candidate: string }).catch(() => undefined);
    });
    pc.onIceCandidate.subscribe((cand) => {
      if (cand) void c.request('invoke', { object: ep, operation: 'addIceCandidate', operationParams: { candidate: cand.toJSON() }, sessionId: sid });
    });
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const answer = (await c.ok('invoke', { object: ep, operation: 'processOffer', operationParams: { offer: pc.localDescription!.sdp }, sessionId: sid })).value as string;
    const t0 = performance.now();
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await c.ok('invoke', { object: ep, operation: 'gatherCandidates', sessionId: sid });
    const end = t0 + 5000;
    while (!sub.firstAt && performance.now() < end) await new Promise((r) => setTimeout(r, 5));
    times.push(sub.firstAt ? sub.firstAt - t0 : NaN);
  }
  return times;
}

process.on('message', (m: { id: number; op: string; url: string; pipeline: string; source: string; count: number }) => {
  const reply = (value: unknown): void => { process.send?.({ id: m.id, value }); };
  if (m.op === 'add') add(m.url, m.pipeline, m.source, m.count).then(reply, (e: Error) => reply({ error: e.message }));
  else if (m.op === 'counts') reply(subs.map((s) => ({ packets: s.packets, expected: s.expected })));
});
process.send?.({ ready: true });
