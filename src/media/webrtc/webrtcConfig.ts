import os from 'node:os';
import {
  RTCRtpCodecParameters, useNACK, usePLI, useFIR, useREMB, useSdesMid, type PeerConfig,
} from 'werift';
import { parseTurnUrl } from '../../shared/turnUrl.ts';
import type { IceSettings } from '../../shared/workerProtocol.ts';

/** ICE settings of a WebRtcEndpoint (Kurento property names), declared with the protocol. */
export type { IceSettings };

/**
 * Codecs Fluo negotiates with WebRTC peers. Video feedback is nack, nack pli, ccm fir
 * and goog-remb, with RTX (RFC 4588) for each, and no transport-cc: Chrome keeps its send rate under 300 kbps when
 * transport-cc is negotiated but no TWCC feedback comes (webrtc-probe-notes §3), so
 * Fluo answers the way KMS does, with REMB.
 */
export function codecs(): NonNullable<PeerConfig['codecs']> {
  const fb = () => [useNACK(), usePLI(), useFIR(), useREMB()];
  return {
    audio: [
      new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111 }),
      new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
      new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 }),
    ],
    video: [
      new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96, rtcpFeedback: fb() }),
      rtx(97, 96),
      new RTCRtpCodecParameters({ mimeType: 'video/VP9', clockRate: 90000, payloadType: 98, rtcpFeedback: fb() }),
      rtx(99, 98),
      new RTCRtpCodecParameters({
        mimeType: 'video/H264', clockRate: 90000, payloadType: 102, rtcpFeedback: fb(),
        parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
      }),
      rtx(103, 102),
    ],
  };
}

/** An RTX format retransmitting payload type `apt` (RFC 4588 §8.6). */
export function rtx(payloadType: number, apt: number): RTCRtpCodecParameters {
  return new RTCRtpCodecParameters({ mimeType: 'video/rtx', clockRate: 90000, payloadType, parameters: `apt=${apt}` });
}

/** True when the host has no usable non-loopback IPv4 address (a private test namespace). */
function onlyLoopback(): boolean {
  return !Object.values(os.networkInterfaces()).flat().some((a) => a && a.family === 'IPv4' && !a.internal);
}

/**
 * The STUN and TURN servers of a WebRtcEndpoint as werift ICE servers. Never werift's
 * default public STUN server: Kurento uses none unless configured. The TURN URL was
 * checked where it was set (config loading, `setTurnUrl`); a bad one here is a bug.
 */
export function iceServers(ice: IceSettings): NonNullable<PeerConfig['iceServers']> {
  const out: NonNullable<PeerConfig['iceServers']> = [];
  if (ice.stunServerAddress) {
    const host = ice.stunServerAddress.includes(':') ? `[${ice.stunServerAddress}]` : ice.stunServerAddress;
    out.push({ urls: `stun:${host}:${ice.stunServerPort || 3478}` });
  }
  if (ice.turnUrl) {
    const turn = parseTurnUrl(ice.turnUrl);
    if (!turn.ok) throw new Error(`turnUrl: ${turn.reason}`);
    // Kurento gathers host, server-reflexive and relayed candidates alike (RFC 8445
    // §5.1.1), so iceTransportPolicy stays 'all': a relay-only peer still reaches
    // Fluo's host candidates through its own TURN allocation (RFC 8656 §3).
    out.push(turn.server.iceServer);
  }
  return out;
}

/** The interface names of `networkInterfaces` (a comma-separated list, Kurento's format). */
export function interfaceNames(ice: IceSettings): string[] {
  return (ice.networkInterfaces ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/**
 * The werift settings a WebRtcEndpoint's setters may still change before gathering
 * (WebRtcEndpointNode applies them again on setIce): ICE servers, and ICE-TCP (RFC 6544)
 * passive candidates, on unless iceTcp is 0 (Kurento's default: 1).
 */
export function iceConfig(ice: IceSettings): Pick<PeerConfig, 'iceServers' | 'iceUseTcp' | 'iceAdditionalHostAddresses'> {
  // werift leaves loopback out of its host addresses; 'lo' in networkInterfaces (or a
  // machine with nothing else) asks for it, in both families. Here rather than only at
  // construction: setNetworkInterfaces('lo') before the offer gave no candidate at all
  // on a machine with other interfaces (CandidatePolicy kept lo's, werift had none).
  const wantsLoopback = interfaceNames(ice).includes('lo') || onlyLoopback();
  // The same in single-port mode: each endpoint's TURN allocation still gets a socket of
  // its own (installSharedPort: a TURN server tells clients apart by address and port,
  // RFC 8656 §2.2), and its passive ICE-TCP candidate names the worker's shared TCP
  // port (SharedTcpPort).
  return { iceServers: iceServers(ice), iceUseTcp: ice.iceTcp !== false, iceAdditionalHostAddresses: wantsLoopback ? ['127.0.0.1', '::1'] : [] };
}

/** werift peer settings from a WebRtcEndpoint's ICE settings and port range. */
export function peerConfig(ice: IceSettings, ports: { min?: number; max?: number; shared?: number }): Partial<PeerConfig> {
  // externalIPv4/IPv6 are not bound: they replace the host candidates' addresses in
  // what the peer is told (CandidatePolicy), as Kurento documents them.
  return {
    codecs: codecs(),
    headerExtensions: { audio: [useSdesMid()], video: [useSdesMid()] },
    ...iceConfig(ice),
    // The shared port of single-port mode (installSharedPort takes [port, port + 1] as its
    // sign: werift refuses a range of one port), else the endpoint's own range (Kurento's
    // minPort/maxPort).
    icePortRange: ports.shared !== undefined ? [ports.shared, ports.shared + 1] : ports.min && ports.max && ports.max >= ports.min ? [ports.min, ports.max] : undefined,
    // IPv6 host candidates too, as Kurento gathers on every interface of both families
    // (its ipv4/ipv6 test variants connect with one family's candidates only).
    iceUseIpv6: true,
  };
}
