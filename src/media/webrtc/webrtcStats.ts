import type { RTCPeerConnection } from 'werift';
import type { RtpSendStreamStats } from '../rtp/RtpSendStream.ts';
import type { IceGuardCounters } from './IceGuard.ts';
import type { Wire } from '../../shared/workerProtocol.ts';

type Obj = Record<string, Wire>;

/** RFC 8445 candidate types as KMD's RTCStatsIceCandidateType names them. */
const CANDIDATE_TYPES: Record<string, string> = { host: 'host', srflx: 'serverreflexive', prflx: 'peerreflexive', relay: 'relayed' };

/**
 * Kurento's stats for a WebRtcEndpoint (KMD core: RTCInboundRTPStreamStats,
 * RTCOutboundRTPStreamStats, RTCIceCandidatePairStats, RTCTransportStats,
 * RTCPeerConnectionStats), mapped from werift's W3C stats. Each value carries its
 * `__type__` so the Marshaller serialises the right subtype. `outbound` gives the
 * counters of SSRCs whose RTP Fluo sends itself (ForwardingSender): werift's sender
 * never sees those packets, so its own counters stay at zero.
 */
export interface EndpointStatsSources {
  /** Counters of an SSRC Fluo sends itself (ForwardingSender). */
  outbound?: (ssrc: number) => RtpSendStreamStats | undefined;
  /** Datagrams IceGuard dropped before werift saw them. */
  dropped?: IceGuardCounters;
  /** Outgoing packets a full socket send buffer refused. */
  sendBufferDrops?: number;
  /** The last REMB (bps) Fluo sent its peer about an SSRC it receives. */
  rembSent?: (ssrc: number) => number | undefined;
  /** The bitrate (bps) Fluo's sending of `kind` aims at now (its peer's REMB within the send bounds), 0 when none. */
  sendTarget?: (kind: string) => number;
}

export async function webrtcStats(pc: RTCPeerConnection, elementId: string, mediaType: string | null, sources: EndpointStatsSources = {}): Promise<Wire> {
  const { outbound = () => undefined, dropped, sendBufferDrops = 0, rembSent = () => undefined, sendTarget = () => 0 } = sources;
  const report = await pc.getStats();
  const out: Record<string, Obj> = {};
  const now = Date.now();
  const wanted = (kind: unknown): boolean => !mediaType || String(kind).toUpperCase() === mediaType;
  const remoteRtt = new Map<number, number>();
  for (const s of report.values()) {
    const r = s as unknown as Obj;
    if (s.type === 'remote-inbound-rtp' && typeof r.roundTripTime === 'number') remoteRtt.set(Number(r.ssrc), r.roundTripTime);
  }
  for (const s of report.values()) {
    const r = s as unknown as Obj;
    const base = { id: s.id, timestampMillis: now };
    if (s.type === 'inbound-rtp' && wanted(r.kind)) {
      const lost = Number(r.packetsLost ?? 0);
      const received = Number(r.packetsReceived ?? 0);
      out[s.id] = {
        ...base, __type__: 'RTCInboundRTPStreamStats', type: 'inboundrtp', ssrc: String(r.ssrc), isRemote: false,
        mediaTrackId: String(r.kind), transportId: String(r.transportId ?? ''), codecId: String(r.codecId ?? ''),
        firCount: Number(r.firCount ?? 0), pliCount: Number(r.pliCount ?? 0), nackCount: Number(r.nackCount ?? 0), sliCount: 0,
        // KMS's inbound `remb`: the estimate this endpoint sends its peer for the stream.
        remb: rembSent(Number(r.ssrc)) ?? 0, packetsLost: lost, fractionLost: received + lost > 0 ? lost / (received + lost) : 0,
        packetsReceived: received, bytesReceived: Number(r.bytesReceived ?? 0), jitter: Number(r.jitter ?? 0),
      };
    } else if (s.type === 'outbound-rtp' && wanted(r.kind)) {
      const ours = outbound(Number(r.ssrc));
      out[s.id] = {
        ...base, __type__: 'RTCOutboundRTPStreamStats', type: 'outboundrtp', ssrc: String(r.ssrc), isRemote: false,
        mediaTrackId: String(r.kind), transportId: String(r.transportId ?? ''), codecId: String(r.codecId ?? ''),
        firCount: ours?.firCount ?? Number(r.firCount ?? 0), pliCount: ours?.pliCount ?? Number(r.pliCount ?? 0),
        nackCount: ours?.nackCount ?? Number(r.nackCount ?? 0), sliCount: 0,
        remb: ours?.remb ?? 0, packetsLost: 0, fractionLost: 0,
        packetsSent: ours?.packetsSent ?? Number(r.packetsSent ?? 0), bytesSent: ours?.bytesSent ?? Number(r.bytesSent ?? 0),
        // As KMS: the rate measured at the sender (GStreamer's RTPSource `bitrate`).
        targetBitrate: ours?.targetBitrate ?? 0,
        // Fluo's addition: what the sending aims at (the peer's REMB within the send bounds).
        sendTargetBitrate: sendTarget(String(r.kind)),
        roundTripTime: ours?.roundTripTime ?? remoteRtt.get(Number(r.ssrc)) ?? 0,
        // Fluo's additions: retransmissions sent and refused (NACK budget).
        retransmittedPacketsSent: ours?.retransmittedPacketsSent ?? 0, retransmissionsRefused: ours?.retransmissionsRefused ?? 0,
      };
    } else if (s.type === 'local-candidate' || s.type === 'remote-candidate') {
      // KMD RTCIceCandidateAttributes; candidate types named as RTCStatsIceCandidateType.
      out[s.id] = {
        ...base, __type__: 'RTCIceCandidateAttributes', type: s.type === 'local-candidate' ? 'localcandidate' : 'remotecandidate',
        ipAddress: String(r.address ?? ''), portNumber: Number(r.port ?? 0), transport: String(r.protocol ?? ''),
        candidateType: CANDIDATE_TYPES[String(r.candidateType)] ?? 'host', priority: Number(r.priority ?? 0), addressSourceUrl: '',
        // Fluo's addition: the RFC 6544 tcptype of an ICE-TCP candidate.
        ...(r.tcpType ? { tcpType: String(r.tcpType) } : {}),
      };
    } else if (s.type === 'candidate-pair') {
      out[s.id] = {
        ...base, __type__: 'RTCIceCandidatePairStats', type: 'candidatepair', transportId: String(r.transportId ?? ''),
        localCandidateId: String(r.localCandidateId ?? ''), remoteCandidateId: String(r.remoteCandidateId ?? ''),
        state: String(r.state ?? 'succeeded').replace('in-progress', 'inprogress'), priority: Number(r.priority ?? 0),
        nominated: r.nominated === true, writable: true, readable: true,
        bytesSent: Number(r.bytesSent ?? 0), bytesReceived: Number(r.bytesReceived ?? 0),
        roundTripTime: Number(r.currentRoundTripTime ?? 0), availableOutgoingBitrate: Number(r.availableOutgoingBitrate ?? 0),
        availableIncomingBitrate: Number(r.availableIncomingBitrate ?? 0),
      };
    } else if (s.type === 'transport') {
      out[s.id] = {
        ...base, __type__: 'RTCTransportStats', type: 'transport', bytesSent: Number(r.bytesSent ?? 0),
        bytesReceived: Number(r.bytesReceived ?? 0), rtcpTransportStatsId: '', activeConnection: true,
        selectedCandidatePairId: String(r.selectedCandidatePairId ?? ''), localCertificateId: String(r.localCertificateId ?? ''),
        remoteCertificateId: String(r.remoteCertificateId ?? ''),
        // Fluo's additions (kurento-client ignores unknown fields), for the whole
        // endpoint: datagrams IceGuard dropped before werift saw them, and ours not sent.
        packetsDiscardedUnknownAddress: dropped?.unknownAddress ?? 0, packetsDiscardedMalformed: dropped?.malformed ?? 0,
        packetsDiscardedUnauthenticatedAlert: dropped?.unauthenticatedAlert ?? 0,
        packetsDiscardedUnauthenticatedStun: dropped?.unauthenticatedStun ?? 0,
        // Outgoing packets a full socket send buffer refused (the native fast path drops them).
        packetsDiscardedOnSend: sendBufferDrops,
      };
    }
  }
  out[elementId] = {
    id: elementId, timestampMillis: now, __type__: 'EndpointStats', type: 'endpoint', inputLatency: [], E2ELatency: [],
  };
  return out;
}
