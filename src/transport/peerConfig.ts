import os from 'node:os';
import {
  RTCRtpCodecParameters, useNACK, usePLI, useFIR, useREMB, useSdesMid, useAbsSendTime, type PeerConfig,
} from 'werift';
import { KurentoError } from '../core/KurentoError.ts';
import type { WebRtcTransportOptions } from './types.ts';

/**
 * Codecs the transport negotiates. Video feedback is nack, nack pli, ccm fir and
 * goog-remb and deliberately no transport-cc: Chrome's send-side estimator never ramps
 * on werift's TWCC feedback and stays at ≤300 kbps, while with receiver reports and
 * REMB it reaches the link rate (webrtc-probe-notes §3). KMS negotiates REMB too.
 * RTX (RFC 4588) is offered so the peer can repair losses werift NACKs for.
 */
export function transportCodecs(): NonNullable<PeerConfig['codecs']> {
  const fb = () => [useNACK(), usePLI(), useFIR(), useREMB()];
  const rtx = (pt: number, apt: number) => new RTCRtpCodecParameters({ mimeType: 'video/rtx', clockRate: 90000, payloadType: pt, parameters: `apt=${apt}` });
  return {
    audio: [
      new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111, parameters: 'minptime=10;useinbandfec=1' }),
      new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
      new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 }),
    ],
    video: [
      new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96, rtcpFeedback: fb() }),
      rtx(97, 96),
      new RTCRtpCodecParameters({
        mimeType: 'video/H264', clockRate: 90000, payloadType: 102, rtcpFeedback: fb(),
        parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
      }),
      rtx(103, 102),
      new RTCRtpCodecParameters({ mimeType: 'video/VP9', clockRate: 90000, payloadType: 98, rtcpFeedback: fb() }),
      rtx(99, 98),
    ],
  };
}

/** Kurento's `turnURL` form `user:password@address:port[?transport=udp|tcp]` as an RTCIceServer. */
export function parseTurnUrl(url: string): { urls: string; username: string; credential: string } {
  const m = /^([^:@]+):([^@]*)@([^:?@]+):(\d+)(?:\?transport=(udp|tcp))?$/.exec(url.trim());
  if (!m) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `turnUrl '${url}' is not user:password@address:port[?transport=udp|tcp]`);
  const [, username, credential, host, port, transport] = m;
  return { urls: `turn:${host}:${port}${transport ? `?transport=${transport}` : ''}`, username: username!, credential: credential! };
}

/** The IPv4/IPv6 addresses of the named interfaces (Kurento `networkInterfaces`). */
function interfaceAddresses(names: string[]): { v4: string[]; v6: string[]; internal: string[] } {
  const all = os.networkInterfaces();
  const out = { v4: [] as string[], v6: [] as string[], internal: [] as string[] };
  for (const name of names) {
    for (const a of all[name] ?? []) {
      if (a.family === 'IPv6' && a.address.startsWith('fe80')) continue;
      (a.family === 'IPv4' ? out.v4 : out.v6).push(a.address);
      if (a.internal) out.internal.push(a.address);
    }
  }
  return out;
}

/** werift RTCPeerConnection settings for the transport options. */
export function peerConfig(o: WebRtcTransportOptions): Partial<PeerConfig> {
  // Never werift's default Google STUN server: no network here, and it slows gathering.
  const iceServers: NonNullable<PeerConfig['iceServers']> = [];
  if (o.stun?.address) iceServers.push({ urls: `stun:${o.stun.address}:${o.stun.port || 3478}` });
  if (o.turnUrl) iceServers.push(parseTurnUrl(o.turnUrl));
  const extra = [...(o.additionalHostAddresses ?? [])];
  let iceInterfaceAddresses: PeerConfig['iceInterfaceAddresses'];
  if (o.networkInterfaces?.length) {
    const a = interfaceAddresses(o.networkInterfaces);
    if (!a.v4.length && !a.v6.length) {
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `networkInterfaces ${o.networkInterfaces.join(',')}: no such interface with an address`);
    }
    // werift filters gathered host addresses to these and binds to them; loopback ones
    // it never gathers on its own, so they go in as additional host addresses.
    iceInterfaceAddresses = { ...(a.v4[0] ? { udp4: a.v4[0] } : {}), ...(a.v6[0] ? { udp6: a.v6[0] } : {}) };
    for (const ip of a.internal) if (!extra.includes(ip)) extra.push(ip);
  }
  const ports = o.portRange;
  if (ports && !(ports.min > 0 && ports.max > ports.min && ports.max <= 65535)) {
    // werift: "Minimum port and Maximum port must not be the same value".
    throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `Bad port range ${ports.min}-${ports.max}`);
  }
  return {
    codecs: transportCodecs(),
    // No transport-wide-cc extension (see transportCodecs).
    headerExtensions: { audio: [useSdesMid()], video: [useSdesMid(), useAbsSendTime()] },
    iceServers,
    iceAdditionalHostAddresses: extra.length ? extra : undefined,
    iceInterfaceAddresses,
    icePortRange: ports ? [ports.min, ports.max] : undefined,
    iceUseIpv6: o.ipv6 === true || !!o.externalIPv6,
    iceUseTcp: o.iceTcp === true,
    bundlePolicy: 'max-bundle',
  };
}
