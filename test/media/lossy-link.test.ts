/**
 * NACK and RTX across a lossy link (RFC 4585 §6.2.1 Generic NACK, RFC 4588 RTX), end to
 * end with libwebrtc. A publisher peer sends to a WebRtcEndpoint; a viewer endpoint is
 * connected to it; the viewer peer reaches Fluo only through a LossyRelay (a userspace
 * UDP relay: this kernel has no netem) that drops a few percent of Fluo's RTP on its
 * way to the viewer. libwebrtc NACKs the gaps, Fluo answers from its history as RTX
 * packets on the SSRC of its a=ssrc-group:FID, and the viewer keeps decoding.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startFluo, RpcClient, sleep } from '../helpers/fluo.ts';
import { RemotePeers, until } from '../helpers/RemotePeers.ts';
import { LossyRelay } from '../helpers/LossyRelay.ts';
import { parseCandidate, signalThroughRelay } from '../helpers/throughRelay.ts';
import { mediaSkipReason } from '../helpers/netns.ts';

const LOSS = 0.04;
const LOSSY_MS = 6000;

const peers = new RemotePeers();
after(() => peers.stop());

/** Local ports of the UDP sockets open in this network namespace (from /proc/net). */
function udpPorts(): number[] {
  return ['/proc/net/udp', '/proc/net/udp6'].flatMap((f) => {
    let text = '';
    try { text = readFileSync(f, 'utf8'); } catch { return []; }
    return text.trim().split('\n').slice(1).map((l) => parseInt(l.trim().split(/\s+/)[1]!.split(':')[1]!, 16));
  });
}

/** The media and RTX SSRCs of the video section's a=ssrc-group:FID (RFC 5576 §4.2, RFC 4588 §8.7). */
function videoFid(sdp: string): { media: number; rtx: number } | undefined {
  const video = sdp.split(/\r?\nm=/).find((s) => s.startsWith('video'));
  const m = video && /a=ssrc-group:FID (\d+) (\d+)/.exec(video);
  return m ? { media: Number(m[1]), rtx: Number(m[2]) } : undefined;
}

/** The payload type of the RTX format whose apt= is `pt` (RFC 4588 §8.6). */
function rtxPayloadType(sdp: string, pt: number): number | undefined {
  const m = new RegExp(`^a=fmtp:(\\d+) apt=${pt}\\b`, 'm').exec(sdp);
  return m ? Number(m[1]) : undefined;
}

type Stats = Record<string, Record<string, unknown>>;

test('NACK and RTX across a lossy link: the viewer keeps decoding, Fluo retransmits as RTX', { skip: mediaSkipReason(), timeout: 30_000 }, async () => {
  const started = Date.now();
  const portsBefore = new Set(udpPorts());
  const fluo = await startFluo();
  const c = await RpcClient.open(fluo.url);
  const relay = await LossyRelay.open({ seed: 4588 });
  try {
    const sid = (await c.ok('connect')).sessionId!;
    const create = async (type: string, constructorParams: Record<string, unknown>): Promise<string> =>
      (await c.ok('create', { type, constructorParams, sessionId: sid })).value as string;
    const invoke = async (object: string, operation: string, operationParams: Record<string, unknown> = {}): Promise<unknown> =>
      (await c.ok('invoke', { object, operation, operationParams, sessionId: sid })).value;

    const P = await create('MediaPipeline', {});
    const pub = await create('WebRtcEndpoint', { mediaPipeline: P });
    const view = await create('WebRtcEndpoint', { mediaPipeline: P });
    await invoke(pub, 'connect', { sink: view });
    const publisher = await peers.create({ shade: 200 });
    await publisher.connectTo(c, pub, sid);

    // The viewer, signalled so that every address it learns of Fluo is the relay's.
    const viewer = await peers.create({ recvOnly: true });
    await c.ok('subscribe', { object: view, type: 'NewCandidatePairSelected', sessionId: sid });
    const { fluoSdp: answer, notRelayed } = await signalThroughRelay({ c, sessionId: sid, endpoint: view, peers, peer: viewer, relay });
    const fid = videoFid(answer);
    assert.ok(fid, 'Fluo announces its video and RTX SSRCs in an a=ssrc-group:FID');
    assert.match(answer, /a=rtpmap:\d+ rtx\/90000/);

    // ICE through the relay: the checks passed with the relay's address, which is the
    // pair Fluo selected (IceGuard would drop media from any other address).
    const selected = await c.waitEvent((e) => e.params?.value.object === view && e.params.value.type === 'NewCandidatePairSelected', 10_000);
    const pair = selected.params!.value.data.candidatePair as { localCandidate: string; remoteCandidate: string };
    const remote = parseCandidate(pair.remoteCandidate);
    assert.deepEqual(remote && { address: remote.address, port: remote.port }, relay.fluoSide, `Fluo's pair is with the relay: ${pair.remoteCandidate}`);
    assert.equal(parseCandidate(pair.localCandidate)?.port, relay.target?.port, 'on the candidate the relay targets');
    await until(async () => (await viewer.received()).frames >= 20, 10_000, 'the viewer decoding before the loss');

    // The lossy part.
    const videoOut = async (): Promise<Record<string, unknown>> => {
      const st = (await invoke(view, 'getStats', { mediaType: 'VIDEO' })) as Stats;
      const out = Object.values(st).find((s) => s.type === 'outboundrtp');
      assert.ok(out, 'outbound video stats');
      return out;
    };
    const viewerVideoIn = async (): Promise<Record<string, unknown> | undefined> =>
      ((await viewer.call('stats')) as Array<Record<string, unknown>>).find((s) => s.type === 'inbound-rtp' && (s.kind ?? s.mediaType) === 'video');
    const before = await viewer.received();
    const outBefore = await videoOut();
    const inBefore = await viewerVideoIn();
    const relayBefore = relay.totals;
    const mediaBefore = relay.ssrcs.get(fid.media)?.packets ?? 0;
    relay.lossRate = LOSS;
    const lossStart = Date.now();
    const perSecond: number[] = [];
    let last = before.frames;
    while (Date.now() - lossStart < LOSSY_MS) {
      await sleep(1000);
      const now = (await viewer.received()).frames;
      perSecond.push(now - last);
      last = now;
    }
    relay.lossRate = 0;
    const afterLoss = await viewer.received();
    // The last losses' NACKs and their answers (a lost RTX packet is NACKed again).
    await sleep(500);
    const out = await videoOut();
    const inbound = await viewerVideoIn();
    const media = relay.ssrcs.get(fid.media);
    const rtx = relay.ssrcs.get(fid.rtx);
    const lossy = { packets: relay.totals.packets - relayBefore.packets, dropped: relay.totals.dropped - relayBefore.dropped };
    const grew = (k: string): number => Number(inbound?.[k] ?? 0) - Number(inBefore?.[k] ?? 0);
    const nacks = Number(out.nackCount) - Number(outBefore.nackCount);
    const resent = Number(out.retransmittedPacketsSent) - Number(outBefore.retransmittedPacketsSent);

    console.log(`# ICE through the relay: Fluo's pair ${pair.localCandidate} <-> ${pair.remoteCandidate}`);
    console.log(`# loss injected: ${lossy.dropped} of ${lossy.packets} RTP packets to the viewer in ${LOSSY_MS} ms (${((100 * lossy.dropped) / Math.max(1, lossy.packets)).toFixed(1)}%); `
      + `video SSRC ${fid.media}: ${media?.dropped ?? 0} of ${(media?.packets ?? 0) - mediaBefore}; RTX SSRC ${fid.rtx}: ${rtx?.packets ?? 0} (pt ${[...(rtx?.payloadTypes ?? [])].join(',')}), ${rtx?.dropped ?? 0} of them dropped`);
    console.log(`# Fluo outbound video: nackCount +${nacks}, retransmittedPacketsSent +${resent}, retransmissionsRefused ${String(out.retransmissionsRefused)}, packetsSent ${String(out.packetsSent)} (the relay saw ${media?.packets ?? 0})`);
    console.log(`# viewer frames under loss: ${before.frames} -> ${afterLoss.frames} (per second ${perSecond.join(', ')}), distinct pictures ${before.checksums} -> ${afterLoss.checksums}`);
    console.log(`# viewer inbound video (libwebrtc), growth under loss: ${inbound ? JSON.stringify(Object.fromEntries(['packetsReceived', 'packetsLost', 'nackCount', 'retransmittedPacketsReceived', 'framesDecoded', 'framesDropped', 'pliCount', 'firCount'].filter((k) => k in inbound).map((k) => [k, grew(k)]))) : 'none'}`);
    console.log(`# relay datagrams to the viewer ${JSON.stringify(relay.counters.toPeer)}, to Fluo ${JSON.stringify(relay.counters.toFluo)}; `
      + `at the relay from other sources ${relay.counters.strangers} (${[...relay.counters.strangerSources].join(', ')}); Fluo candidates not relayed ${notRelayed.length}`);

    // The loss was real, about the rate asked (the relay spreads it evenly), and hit video.
    assert.ok(media && media.dropped >= 5, `video packets dropped (${media?.dropped})`);
    assert.ok(Math.abs(lossy.dropped / lossy.packets - LOSS) < LOSS / 4, `about ${LOSS * 100}% loss (${lossy.dropped}/${lossy.packets})`);
    // Only RTP went missing: STUN, DTLS and RTCP all crossed, and nothing of another class.
    assert.ok(relay.counters.toPeer.stun > 0 && relay.counters.toPeer.dtls > 0 && relay.counters.toPeer.rtcp > 0);
    assert.equal(relay.counters.toFluo.other + relay.counters.toPeer.other, 0);
    // The viewer kept decoding: every second brought frames, and the picture moved on.
    assert.ok(perSecond.every((n) => n > 0), `frames every second under loss (${perSecond.join(', ')})`);
    assert.ok(afterLoss.frames - before.frames > (LOSSY_MS / 1000) * 10, `frames under loss: ${afterLoss.frames - before.frames}`);
    assert.ok(afterLoss.checksums - before.checksums > 30, 'the picture kept changing');
    // Fluo heard the NACKs and answered them (RFC 4585 §6.2.1), within its budget.
    assert.ok(nacks > 0, `nackCount grew (${nacks})`);
    assert.ok(resent > 0, `retransmittedPacketsSent grew (${resent})`);
    assert.equal(Number(out.retransmissionsRefused), 0, 'no NACK refused at this rate');
    // ... as RTX (RFC 4588 §4) on the SSRC of its FID group, with the RTX payload type:
    // every retransmission it counted crossed the relay there, and every dropped video
    // packet came again at least once (a dropped retransmission is NACKed again).
    assert.ok(rtx && rtx.packets > 0, `RTX packets on SSRC ${fid.rtx} crossed the relay`);
    const videoPt = [...media.payloadTypes][0]!;
    assert.deepEqual([...rtx.payloadTypes], [rtxPayloadType(answer, videoPt)], `the answer's RTX payload type for ${videoPt}`);
    assert.equal(rtx.packets, Number(out.retransmittedPacketsSent), 'Fluo\'s retransmissions are the RTX packets the relay saw');
    assert.equal(((rtx.lastSeq - rtx.firstSeq) & 0xffff) + 1, rtx.packets, 'RTX packets numbered in their own sequence, one by one');
    assert.ok(rtx.forwarded >= media.dropped, `${rtx.forwarded} RTX packets delivered for ${media.dropped} video packets dropped`);
    // The viewer's side (libwebrtc's own stats): it NACKed, and the repairs kept its
    // decoder going without a keyframe. libwebrtc counts a packet repaired by RTX neither
    // as received nor out of packetsLost (RtpVideoStreamReceiver2 gives recovered packets
    // no receive statistics), so its packetsLost is the raw loss, not what stayed lost.
    if (inbound && 'nackCount' in inbound) assert.ok(grew('nackCount') > 0, 'the viewer sent NACKs');
    if (inbound && 'pliCount' in inbound) assert.equal(grew('pliCount') + grew('firCount'), 0, 'no keyframe needed under loss');
    if (inbound && 'framesDropped' in inbound) assert.equal(grew('framesDropped'), 0, 'no frame dropped by the viewer');

    // IceGuard let everything through: it all came from the address that passed the checks.
    const transport = Object.values((await invoke(view, 'getStats')) as Stats).find((s) => s.type === 'transport');
    assert.equal(transport?.packetsDiscardedUnknownAddress, 0, 'nothing from an address of no candidate pair');

    // Everything is released: the pipeline, the peers, the relay's sockets.
    await c.ok('release', { object: P, sessionId: sid });
    const gone = await c.request('invoke', { object: view, operation: 'getStats', sessionId: sid });
    assert.equal(gone.error?.code, 40101, 'the viewer endpoint went with its pipeline');
    await publisher.close();
    await viewer.close();
    const relayPorts = [relay.peerSide.port, relay.fluoSide.port];
    await relay.close();
    await relay.close(); // idempotent
    assert.equal(relay.openSockets, 0);
    await until(() => !udpPorts().some((p) => relayPorts.includes(p)), 2_000, 'the relay sockets closed');
    await until(() => udpPorts().every((p) => portsBefore.has(p)), 5_000, `UDP sockets back to those before (${udpPorts().filter((p) => !portsBefore.has(p)).join(', ')} left)`);
    console.log(`# test took ${Date.now() - started} ms`);
  } finally {
    await relay.close();
    await c.close();
    await fluo.stop();
  }
});
