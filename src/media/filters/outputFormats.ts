import type { RtpCodecInfo } from '../graph/MediaPacket.ts';
import type { FormatSet } from '../graph/MediaNode.ts';
import { canEncode, type Kind } from '../transcode/formats.ts';

/** What a filter can encode its output to, in its order of preference. */
const FORMATS: Record<Kind, readonly RtpCodecInfo[]> = {
  VIDEO: [
    { name: 'VP8', clockRate: 90000 },
    { name: 'H264', clockRate: 90000, fmtp: 'profile-level-id=42e01f;packetization-mode=1' },
    { name: 'VP9', clockRate: 90000 },
  ],
  AUDIO: [
    { name: 'opus', clockRate: 48000, channels: 2 },
    { name: 'PCMU', clockRate: 8000 },
    { name: 'PCMA', clockRate: 8000 },
  ],
};

export function filterFormats(kind: Kind): readonly RtpCodecInfo[] {
  return FORMATS[kind];
}

/**
 * The format a filter encodes for one sink: the first the sink negotiated that the
 * engine can encode (restricted to the codec setVideoFormat/setAudioFormat forced), or
 * for a sink that takes anything (a recorder, a PassThrough), the forced codec or the
 * first of ours. None while the sink has negotiated nothing (no SDP yet).
 */
export function chooseOutputFormat(kind: Kind, accepts: FormatSet, forced: string | undefined): RtpCodecInfo | undefined {
  const name = forced?.toLowerCase();
  if (accepts === 'any') return FORMATS[kind].find((f) => !name || f.name.toLowerCase() === name) ?? FORMATS[kind][0];
  return accepts.find((c) => (!name || c.name.toLowerCase() === name) && canEncode(kind, c));
}
