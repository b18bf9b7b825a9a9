import { RTCRtpCodecParameters, type RTCPeerConnection } from 'werift';
import { offeredH264, rtxFormats, h264Acceptable } from '../graph/h264.ts';
import { codecs, rtx } from './webrtcConfig.ts';
import type { WebRtcEndpointOptions } from '../../shared/workerProtocol.ts';

/**
 * How a WebRtcEndpoint answers an offer, set on werift's transceivers after the remote
 * description and before createAnswer: per m-section, the complement of the offered
 * direction (RFC 8829 §5.3.1) within what the endpoint was created for (recvonly /
 * sendonly), and the codecs in the offerer's order of preference.
 */
export function answerLikeTheOffer(pc: RTCPeerConnection, opts: Pick<WebRtcEndpointOptions, 'recvonly' | 'sendonly'>): void {
  const remoteMedia = pc._remoteDescription?.media ?? [];
  for (const t of pc.getTransceivers()) {
    const media = remoteMedia.find((m) => m.rtp.muxId === t.mid);
    const remote = media?.direction ?? 'sendrecv';
    // Answer in the offerer's order of preference (RFC 3264 §6.1), as KMS does: a
    // browser that prefers H.264 gets H.264 even though Fluo lists VP8 first.
    const order = (media?.fmt ?? []).map(Number);
    if (order.length && t.codecs.length > 1) {
      const rank = (pt: number): number => { const i = order.indexOf(pt); return i < 0 ? order.length : i; };
      // setCodecPreferences makes werift re-resolve the answer and the sender's codec.
      t.setCodecPreferences([...t.codecs].sort((x, y) => rank(x.payloadType) - rank(y.payloadType)));
    }
    let dir = remote === 'sendonly' ? 'recvonly' : remote === 'recvonly' ? 'sendonly' : remote === 'inactive' ? 'inactive' : 'sendrecv';
    if (opts.recvonly) dir = dir === 'sendrecv' || dir === 'recvonly' ? 'recvonly' : 'inactive';
    if (opts.sendonly) dir = dir === 'sendrecv' || dir === 'sendonly' ? 'sendonly' : 'inactive';
    t.setDirection(dir as 'sendrecv');
  }
}

/**
 * werift matches H.264 only on an identical profile-level-id. RFC 6184 §8.2.2 lets the
 * answerer take any offered profile it supports, at the offered level or lower: each
 * acceptable offered H.264 format (h264.ts) becomes one of ours, as offered, so the
 * answer keeps the offerer's profile, level and packetization mode.
 */
export function acceptOfferedH264(pc: RTCPeerConnection, offer: string): void {
  const extra = offeredH264(offer).filter((f) => h264Acceptable(f.fmtp));
  if (!extra.length) return;
  const config = pc.config.codecs;
  const base = codecs().video ?? [];
  const taken = new Set(extra.map((f) => f.payloadType));
  // The offer's RTX formats for those (apt=), so retransmissions keep working.
  const rtxFor = rtxFormats(offer).filter((f) => taken.has(f.apt));
  config.video = [
    ...base.filter((c) => !taken.has(c.payloadType)),
    ...extra.map((f) => new RTCRtpCodecParameters({ mimeType: 'video/H264', clockRate: 90000, payloadType: f.payloadType, rtcpFeedback: base[0]?.rtcpFeedback ?? [], parameters: f.fmtp })),
    ...rtxFor.map((f) => rtx(f.payloadType, f.apt)),
  ];
}
