/**
 * Signalling a libwebrtc peer with a Fluo WebRtcEndpoint so that every datagram between
 * them crosses a LossyRelay: the peer learns one of Fluo's UDP host candidates as the
 * relay's peer side, Fluo learns the peer's first UDP candidate as the relay's Fluo
 * side, and no other candidate reaches either (Fluo's SDP loses its a=candidate lines).
 */
import { withoutCandidates } from '../../src/media/webrtc/sdpMunging.ts';
import type { RpcClient } from './fluo.ts';
import type { Address, LossyRelay } from './LossyRelay.ts';
import type { RemotePeer, RemotePeers } from './RemotePeers.ts';

/** RFC 8839 §5.1 candidate-attribute: transport, address, port and type of a candidate line. */
const CANDIDATE = /^((?:a=)?candidate:\S+ \d+ (\S+) \d+ )(\S+) (\d+)( typ (\S+).*)$/i;

export function parseCandidate(line: string): { transport: string; address: string; port: number; type: string } | undefined {
  const m = CANDIDATE.exec(line.trim());
  return m ? { transport: m[2]!.toLowerCase(), address: m[3]!, port: Number(m[4]), type: m[6]!.toLowerCase() } : undefined;
}

/** The same candidate line with another address and port. */
export function withAddress(line: string, a: Address): string {
  return line.trim().replace(CANDIDATE, (_all, head: string, _t, _addr, _port, tail: string) => `${head}${a.address} ${a.port}${tail}`);
}

export interface RelayedSession {
  /** Fluo's SDP (its answer, or its offer when `fluoOffers`). */
  fluoSdp: string;
  /** Fluo's candidates that did not go through the relay (TCP, other addresses). */
  notRelayed: string[];
}

/**
 * Runs the offer/answer and trickle ICE between `peer` and `endpoint` through `relay`.
 * `fluoOffers`: Fluo offers (generateOffer/processAnswer; it is then the DTLS server),
 * else the peer offers (processOffer; Fluo is the DTLS client).
 */
export async function signalThroughRelay(o: {
  c: RpcClient; sessionId: string; endpoint: string; peers: RemotePeers; peer: RemotePeer; relay: LossyRelay; fluoOffers?: boolean;
}): Promise<RelayedSession> {
  const { c, sessionId, endpoint, peers, peer, relay } = o;
  const invoke = async (operation: string, operationParams: Record<string, unknown> = {}): Promise<unknown> =>
    (await c.ok('invoke', { object: endpoint, operation, operationParams, sessionId })).value;
  await c.ok('subscribe', { object: endpoint, type: 'IceCandidateFound', sessionId });
  const notRelayed: string[] = [];
  c.onEvent((e) => {
    const v = e.params?.value;
    if (v?.object !== endpoint || v.type !== 'IceCandidateFound') return;
    const cand = v.data.candidate as { candidate: string; sdpMid: string; sdpMLineIndex: number };
    const p = parseCandidate(cand.candidate);
    // One UDP host candidate of Fluo's goes to the peer, as the relay's address.
    if (!relay.target && p && p.transport === 'udp' && p.type === 'host' && !p.address.includes(':')) {
      relay.setTarget({ address: p.address, port: p.port });
      void peer.call('addCandidate', { ...cand, candidate: withAddress(cand.candidate, relay.peerSide) });
    } else {
      notRelayed.push(cand.candidate);
    }
  });
  // The peer's first UDP candidate reaches Fluo as the relay's other socket, the address
  // Fluo will see it at (a known candidate, not a peer-reflexive one).
  let peerCandidate: string | undefined;
  peers.onCandidate(peer.id, (cand) => {
    const line = String(cand.candidate ?? '');
    const p = parseCandidate(line);
    if (peerCandidate || !p || p.transport !== 'udp') return;
    peerCandidate = line;
    void c.request('invoke', {
      object: endpoint, operation: 'addIceCandidate', sessionId,
      operationParams: { candidate: { ...cand, candidate: withAddress(line, relay.fluoSide) } },
    });
  });
  let fluoSdp: string;
  if (o.fluoOffers) {
    fluoSdp = (await invoke('generateOffer')) as string;
    const answer = (await peer.call('answer', { sdp: withoutCandidates(fluoSdp) })) as string;
    await invoke('processAnswer', { answer });
  } else {
    const offer = (await peer.call('offer')) as string;
    fluoSdp = (await invoke('processOffer', { offer })) as string;
    await peer.call('setAnswer', { sdp: withoutCandidates(fluoSdp) });
  }
  await invoke('gatherCandidates');
  return { fluoSdp, notRelayed };
}
