/**
 * Child process of bench/sfu.ts: werift peers that subscribe to a Fluo publisher (or, with
 * --vs-janus, to a Janus VideoRoom feed) and only count what arrives (packets, sequence
 * gaps), so the measurement loads the server, not a decoder. Driven over IPC:
 * {op:'add', url, pipeline, source, count, parallel?}, {op:'addJanus', url, room, feed, count},
 * {op:'counts'}, {op:'frames', from, to}.
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
import { JanusSession } from './janus/JanusSession.ts';

interface Sub {
  pc: RTCPeerConnection; packets: number; expected: number; lastSeq: Map<number, number>; firstAt: number;
  /**
   * When both descriptions were known (performance.now(); Fluo's answer came, or the
   * answer to Janus's offer left): first packet and first frame count from it.
   */
  answeredAt: number;
  /** When the subscription started (before the endpoint was created or the handle attached). */
  startedAt: number;
  /** RTP timestamp of the keyframe being received, then when its last packet came (0: not yet). */
  keyframeTs: number | undefined; firstFrameAt: number;
}
const subs: Sub[] = [];
let rpc: RpcClient | undefined;
let sid = '';
let janus: JanusSession | undefined;

/** Times of the new subscribers to their first packet: from the answer, and from the subscription's start. */
interface FirstPackets { answer: number[]; start: number[] }

function newPeer(): RTCPeerConnection {
  return new RTCPeerConnection({
    iceAdditionalHostAddresses: ['127.0.0.1'],
    codecs: {
      video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, rtcpFeedback: [useNACK(), usePLI(), useREMB()] })],
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 })],
    },
  });
}

function newSub(pc: RTCPeerConnection, startedAt: number): Sub {
  const sub: Sub = { pc, packets: 0, expected: 0, lastSeq: new Map(), firstAt: 0, answeredAt: NaN, startedAt, keyframeTs: undefined, firstFrameAt: 0 };
  subs.push(sub);
  pc.onTrack.subscribe((track) => {
    if (track.kind !== 'video') return;
    track.onReceiveRtp.subscribe((rtp) => {
      if (sub.firstFrameAt) return;
      if (sub.keyframeTs === undefined && vp8KeyframeStart(rtp.payload)) sub.keyframeTs = rtp.header.timestamp;
      if (sub.keyframeTs === rtp.header.timestamp && rtp.header.marker) sub.firstFrameAt = performance.now();
    });
  });
  return sub;
}

/** Waits up to 5 s for the subscriber's first packet and records its times. */
async function firstPacket(sub: Sub, into: FirstPackets): Promise<void> {
  const end = sub.answeredAt + 5000;
  while (!sub.firstAt && performance.now() < end) await new Promise((r) => setTimeout(r, 5));
  into.answer.push(sub.firstAt ? sub.firstAt - sub.answeredAt : NaN);
  into.start.push(sub.firstAt ? sub.firstAt - sub.startedAt : NaN);
}

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

/** Adds `count` subscribers of a Fluo publisher, as the one-to-many tutorial connects its viewers. */
async function add(url: string, pipeline: string, source: string, count: number, parallel = 1): Promise<FirstPackets> {
  if (!rpc) {
    rpc = await RpcClient.open(url);
    sid = (await rpc.ok('connect')).sessionId!;
  }
  const c = rpc;
  const times: FirstPackets = { answer: [], start: [] };
  // `parallel` joins at a time: on a machine the forwarding already fills, one join
  // after the other took 2 s each.
  let left = count;
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, async () => {
    while (left > 0) {
      left--;
      await join(c, pipeline, source, times);
    }
  }));
  return times;
}

async function join(c: RpcClient, pipeline: string, source: string, times: FirstPackets): Promise<void> {
  const startedAt = performance.now();
  const ep = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: pipeline }, sessionId: sid })).value as string;
  await c.ok('invoke', { object: ep, operation: 'setMaxVideoSendBandwidth', operationParams: { maxVideoSendBandwidth: 2000 }, sessionId: sid });
  await c.ok('invoke', { object: source, operation: 'connect', operationParams: { sink: ep }, sessionId: sid });
  const pc = newPeer();
  const sub = newSub(pc, startedAt);
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  await trickleIce(c, sid, ep, pc);
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  countAtSocket(pc, sub);
  const answer = (await c.ok('invoke', { object: ep, operation: 'processOffer', operationParams: { offer: pc.localDescription!.sdp }, sessionId: sid })).value as string;
  sub.answeredAt = performance.now();
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  await c.ok('invoke', { object: ep, operation: 'gatherCandidates', sessionId: sid });
  await firstPacket(sub, times);
}

/**
 * Adds `count` subscribers of a Janus VideoRoom feed, as its demo's subscribers join:
 * a handle, `join` as subscriber (Janus offers), the answer with `start`.
 */
async function addJanus(url: string, room: number, feed: number, count: number): Promise<FirstPackets> {
  janus ??= await JanusSession.create(url);
  const j = janus;
  const times: FirstPackets = { answer: [], start: [] };
  for (let i = 0; i < count; i++) {
    const startedAt = performance.now();
    const handle = await j.attach('janus.plugin.videoroom');
    const joined = await j.send(handle, { request: 'join', ptype: 'subscriber', room, streams: [{ feed }] });
    if (!joined.jsep) throw new Error('Janus sent no offer to the subscriber');
    const pc = newPeer();
    const sub = newSub(pc, startedAt);
    await pc.setRemoteDescription(joined.jsep);
    await pc.setLocalDescription(await pc.createAnswer());
    countAtSocket(pc, sub);
    sub.answeredAt = performance.now();
    await j.send(handle, { request: 'start' }, { type: 'answer', sdp: pc.localDescription!.sdp });
    await firstPacket(sub, times);
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

process.on('message', (m: { id: number; op: string; url: string; pipeline: string; source: string; count: number; parallel?: number; from: number; to: number; room: number; feed: number }) => {
  const reply = (value: unknown): void => { process.send?.({ id: m.id, value }); };
  if (m.op === 'add') add(m.url, m.pipeline, m.source, m.count, m.parallel).then(reply, (e: Error) => reply({ error: e.message }));
  else if (m.op === 'addJanus') addJanus(m.url, m.room, m.feed, m.count).then(reply, (e: Error) => reply({ error: e.message }));
  else if (m.op === 'counts') reply(subs.map((s) => ({ packets: s.packets, expected: s.expected })));
  // Answer to first whole keyframe of subscribers [from, to), NaN for those still without one.
  else if (m.op === 'frames') reply(subs.slice(m.from, m.to).map((s) => (s.firstFrameAt ? s.firstFrameAt - s.answeredAt : NaN)));
});
process.send?.({ ready: true });
