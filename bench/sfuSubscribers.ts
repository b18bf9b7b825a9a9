/**
 * Child process of bench/sfu.ts: werift peers that subscribe to a Fluo publisher and
 * only count what arrives (packets, sequence gaps), so the measurement loads Fluo,
 * not a decoder. Driven over IPC: {op:'add', url, pipeline, source, count} and {op:'counts'}.
 *
 * werift does ICE, DTLS and RTCP; the RTP packets themselves are counted at the socket
 * from their headers, which SRTP leaves in clear (RFC 3711 §3.1), and go no further:
 * decrypting and parsing them in werift cost ~40 µs each, so at a few hundred
 * subscribers this process, not Fluo, was the limit. Until a subscriber holds its first
 * whole VP8 keyframe (the first frame it could show), its packets also go through
 * werift, which decrypts them, so that moment can be told.
 */
import { RTCPeerConnection, useNACK, usePLI, useREMB, RTCRtpCodecParameters } from 'werift';
import { RpcClient } from '../test/helpers/fluo.ts';
import { trickleIce, interceptReceived } from '../test/helpers/weriftPeer.ts';

interface Sub {
  pc: RTCPeerConnection; packets: number; expected: number; lastSeq: Map<number, number>; firstAt: number;
  /** When Fluo's answer came (performance.now()): first packet and first frame count from it. */
  answeredAt: number;
  /** RTP timestamp of the keyframe being received, then when its last packet came (0: not yet). */
  keyframeTs: number | undefined; firstFrameAt: number;
}
const subs: Sub[] = [];
let rpc: RpcClient | undefined;
let sid = '';

/**
 * Whether a VP8 RTP payload starts a keyframe (RFC 7741 §4.2-4.3): the payload descriptor
 * says start of partition 0, and the first bit of the VP8 payload header (P) is 0.
 */
function vp8KeyframeStart(p: Buffer): boolean {
  if (p.length < 1 || !(p[0]! & 0x10) || (p[0]! & 0x07) !== 0) return false;
  let at = 1;
  if (p[0]! & 0x80) {
    const x = p[at++] ?? 0;
    if (x & 0x80) at += (p[at] ?? 0) & 0x80 ? 2 : 1; // PictureID, 7 or 15 bits
    if (x & 0x40) at += 1; // TL0PICIDX
    if (x & 0x30) at += 1; // TID/KEYIDX
  }
  return at < p.length && (p[at]! & 0x01) === 0;
}

/** Adds `count` subscribers; resolves with the median-able times from answer to first packet of each. */
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
    const sub: Sub = { pc, packets: 0, expected: 0, lastSeq: new Map(), firstAt: 0, answeredAt: NaN, keyframeTs: undefined, firstFrameAt: 0 };
    subs.push(sub);
    const video = pc.addTransceiver('video', { direction: 'recvonly' });
    video.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((rtp) => {
      if (sub.firstFrameAt) return;
      if (sub.keyframeTs === undefined && vp8KeyframeStart(rtp.payload)) sub.keyframeTs = rtp.header.timestamp;
      if (sub.keyframeTs === rtp.header.timestamp && rtp.header.marker) sub.firstFrameAt = performance.now();
    }));
    pc.addTransceiver('audio', { direction: 'recvonly' });
    await trickleIce(c, sid, ep, pc);
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    countAtSocket(pc, sub);
    const answer = (await c.ok('invoke', { object: ep, operation: 'processOffer', operationParams: { offer: pc.localDescription!.sdp }, sessionId: sid })).value as string;
    const t0 = performance.now();
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    await c.ok('invoke', { object: ep, operation: 'gatherCandidates', sessionId: sid });
    sub.answeredAt = t0;
    const end = t0 + 5000;
    while (!sub.firstAt && performance.now() < end) await new Promise((r) => setTimeout(r, 5));
    times.push(sub.firstAt ? sub.firstAt - t0 : NaN);
  }
  return times;
}

/** One RTP packet seen at the socket: counted, and its sequence number checked for gaps. */
function count(sub: Sub, data: Buffer): void {
  if (!sub.firstAt) sub.firstAt = performance.now();
  sub.packets++;
  const ssrc = data.readUInt32BE(8);
  const seq = data.readUInt16BE(2);
  const last = sub.lastSeq.get(ssrc);
  const gap = last === undefined ? 1 : ((seq - last + 65536) % 65536);
  if (gap > 0 && gap < 1000) sub.expected += gap;
  if (last === undefined || (gap > 0 && gap < 1000)) sub.lastSeq.set(ssrc, seq);
}

/**
 * Takes RTP (RFC 7983: first byte 128-191, and not an RTCP packet type 192-223 in the
 * second) out of the peer's host sockets before werift sees it; the rest goes on.
 */
function countAtSocket(pc: RTCPeerConnection, sub: Sub): void {
  interceptReceived(pc, new WeakSet(), (data, addr, pass) => {
    const b1 = data[1]!;
    if (data.length >= 12 && data[0]! >> 6 === 2 && (b1 < 192 || b1 > 223)) {
      count(sub, data);
      if (!sub.firstFrameAt) pass(data, addr);
    } else {
      pass(data, addr);
    }
  });
}

process.on('message', (m: { id: number; op: string; url: string; pipeline: string; source: string; count: number; from: number; to: number }) => {
  const reply = (value: unknown): void => { process.send?.({ id: m.id, value }); };
  if (m.op === 'add') add(m.url, m.pipeline, m.source, m.count).then(reply, (e: Error) => reply({ error: e.message }));
  else if (m.op === 'counts') reply(subs.map((s) => ({ packets: s.packets, expected: s.expected })));
  // Answer to first whole keyframe of subscribers [from, to), NaN for those still without one.
  else if (m.op === 'frames') reply(subs.slice(m.from, m.to).map((s) => (s.firstFrameAt ? s.firstFrameAt - s.answeredAt : NaN)));
});
process.send?.({ ready: true });
