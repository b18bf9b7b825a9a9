import type { RtpCodecInfo } from '../graph/MediaPacket.ts';
import { fmtpParams, h264Profile, packetizationMode } from '../graph/h264.ts';

/**
 * What the media engine can decode and encode, and the GStreamer bin descriptions of a
 * transcoder between two RTP formats. Encoder settings are the ones measured on this
 * machine kind (shared/reference/media-probe-notes.md §4, §6): libvpx with
 * `deadline=1 cpu-used=4 threads=1` (threads=2 spin-waits: 3x the CPU), x264
 * `ultrafast zerolatency`, a 50 ms jitter buffer and `udpsink sync=false` (with
 * `sync=true` the sink waits for the whole pipeline latency: +60 ms).
 */

export type Kind = 'AUDIO' | 'VIDEO';

/** The payload type and SSRC every packet carries into an engine bin (fixed when the bin is added). */
export const ENGINE_PT: Record<Kind, number> = { VIDEO: 96, AUDIO: 111 };
export const ENGINE_SSRC = 0x0f1f0f1f;

interface CodecEntry {
  /** RTP caps `encoding-name`. */
  readonly encodingName: string;
  readonly depay: string;
  readonly decode: string;
  /** Encoder (named `enc`), payloader, for a target format. */
  encode(to: RtpCodecInfo, bitrateBps: number): string;
}

const VIDEO: Record<string, CodecEntry> = {
  vp8: {
    encodingName: 'VP8', depay: 'rtpvp8depay request-keyframe=true wait-for-keyframe=true', decode: 'vp8dec',
    encode: (_to, bps) => `vp8enc name=enc deadline=1 cpu-used=4 threads=1 lag-in-frames=0 end-usage=cbr target-bitrate=${bps} keyframe-max-dist=3000 error-resilient=partitions ! rtpvp8pay mtu=1200 pt=${ENGINE_PT.VIDEO}`,
  },
  vp9: {
    encodingName: 'VP9', depay: 'rtpvp9depay request-keyframe=true wait-for-keyframe=true', decode: 'vp9dec',
    encode: (_to, bps) => `vp9enc name=enc deadline=1 cpu-used=8 threads=1 lag-in-frames=0 end-usage=cbr target-bitrate=${bps} keyframe-max-dist=3000 ! rtpvp9pay mtu=1200 pt=${ENGINE_PT.VIDEO}`,
  },
  h264: {
    encodingName: 'H264', depay: 'rtph264depay request-keyframe=true wait-for-keyframe=true ! h264parse', decode: 'avdec_h264',
    encode: (to, bps) => {
      // Packetization mode 0 (RFC 6184 §6.2) allows single NAL units only: slices small
      // enough for one packet each, and no aggregation.
      const single = packetizationMode(to.fmtp) === 0;
      // aud=false: x264's access unit delimiters (on by default) become a 14-byte RTP
      // packet of their own per frame (rtph264pay sends every NAL unit), which no
      // receiver needs (RFC 6184 §5.3 leaves them optional) and which cost a worker a
      // wakeup and a send each.
      const profile = X264_PROFILE[h264Profile(fmtpParams(to.fmtp).get('profile-level-id'))] ?? 'constrained-baseline';
      return `x264enc name=enc tune=zerolatency speed-preset=ultrafast threads=1 key-int-max=3000 aud=false bitrate=${Math.max(1, Math.round(bps / 1000))}` +
        `${single ? ' option-string=slice-max-size=1100' : ''} ! video/x-h264,profile=${profile},stream-format=avc ! h264parse config-interval=-1 ` +
        `! rtph264pay mtu=1200 pt=${ENGINE_PT.VIDEO} config-interval=-1 aggregate-mode=${single ? 'none' : 'zero-latency'}`;
    },
  },
};

/** H.264 profiles x264 can produce, as its caps name them. */
const X264_PROFILE: Partial<Record<ReturnType<typeof h264Profile>, string>> = {
  'constrained-baseline': 'constrained-baseline', baseline: 'baseline', main: 'main', high: 'high', 'constrained-high': 'high',
};

const AUDIO: Record<string, CodecEntry> = {
  opus: {
    encodingName: 'OPUS', depay: 'rtpopusdepay', decode: 'opusdec',
    encode: (_to, bps) => `audio/x-raw,rate=48000 ! opusenc name=enc bitrate=${bps} frame-size=20 ! rtpopuspay pt=${ENGINE_PT.AUDIO}`,
  },
  pcmu: {
    encodingName: 'PCMU', depay: 'rtppcmudepay', decode: 'mulawdec',
    encode: (to) => `audio/x-raw,rate=${to.clockRate},channels=1 ! mulawenc name=enc ! rtppcmupay pt=${ENGINE_PT.AUDIO}`,
  },
  pcma: {
    encodingName: 'PCMA', depay: 'rtppcmadepay', decode: 'alawdec',
    encode: (to) => `audio/x-raw,rate=${to.clockRate},channels=1 ! alawenc name=enc ! rtppcmapay pt=${ENGINE_PT.AUDIO}`,
  },
};

function entry(kind: Kind, c: RtpCodecInfo): CodecEntry | undefined {
  const table = kind === 'VIDEO' ? VIDEO : AUDIO;
  const name = c.name.toLowerCase();
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/** Whether the engine can turn `from` into `to` (both RTP formats of `kind`). */
export function canTranscode(kind: Kind, from: RtpCodecInfo, to: RtpCodecInfo): boolean {
  return entry(kind, from) !== undefined && entry(kind, to) !== undefined;
}

/** A format as a key: name, clock rate, and the fmtp that tells H.264 streams apart. */
export function formatKey(c: RtpCodecInfo): string {
  const base = `${c.name.toLowerCase()}/${c.clockRate}`;
  if (c.name.toLowerCase() !== 'h264') return base;
  return `${base}/${h264Profile(fmtpParams(c.fmtp).get('profile-level-id'))}/${packetizationMode(c.fmtp)}`;
}

/** The RTP caps of what enters an engine bin (payload type fixed, ENGINE_PT). */
export function rtpCaps(kind: Kind, c: RtpCodecInfo): string {
  const e = entry(kind, c);
  if (!e) throw new Error(`no engine codec for ${c.name}`);
  return `application/x-rtp,media=${kind === 'VIDEO' ? 'video' : 'audio'},clock-rate=${c.clockRate},encoding-name=${e.encodingName},payload=${ENGINE_PT[kind]}`;
}

/**
 * The decoding half of an engine bin: RTP of `from` on a udpsrc bound by the engine
 * (port 0: it reports the port), named `in`, through a 50 ms jitter buffer, decoded to
 * raw video or audio.
 */
export function decoderDescription(kind: Kind, from: RtpCodecInfo): string {
  const src = entry(kind, from);
  if (!src) throw new Error(`the engine cannot decode ${from.name}`);
  const convert = kind === 'VIDEO' ? 'videoconvert' : 'audioconvert ! audioresample';
  return `udpsrc name=in address=127.0.0.1 port=0 caps="${rtpCaps(kind, from)}" ! rtpjitterbuffer latency=50 ! ${src.depay} ! ${src.decode} ! ${convert}`;
}

/**
 * The encoding half: raw media encoded to `to` by an encoder named `enc` (keyframes,
 * bitrate), RTP sent to the worker's `outPort` on loopback by a sink named `out`.
 */
export function encoderDescription(kind: Kind, to: RtpCodecInfo, outPort: number, bitrateBps: number): string {
  const dst = entry(kind, to);
  if (!dst) throw new Error(`the engine cannot encode ${to.name}`);
  return `${dst.encode(to, bitrateBps)} ! udpsink name=out host=127.0.0.1 port=${outPort} sync=false async=false`;
}

/** Whether the engine can encode `to` (a filter's output format). */
export function canEncode(kind: Kind, to: RtpCodecInfo): boolean {
  return entry(kind, to) !== undefined;
}

/** The bin of a transcoder: `from` decoded, then encoded to `to` (see the two halves). */
export function transcoderDescription(kind: Kind, from: RtpCodecInfo, to: RtpCodecInfo, outPort: number, bitrateBps: number): string {
  if (!entry(kind, from) || !entry(kind, to)) throw new Error(`cannot transcode ${from.name} to ${to.name}`);
  return `${decoderDescription(kind, from)} ! ${encoderDescription(kind, to, outPort, bitrateBps)}`;
}

/** The encoder property that sets its bitrate, and its unit (vp8enc/vp9enc/opusenc: bit/s; x264enc: kbit/s). */
export function bitrateProperty(kind: Kind, to: RtpCodecInfo): { name: string; value: (bps: number) => number } | undefined {
  const name = to.name.toLowerCase();
  if (name === 'vp8' || name === 'vp9') return { name: 'target-bitrate', value: (bps) => Math.round(bps) };
  if (name === 'h264') return { name: 'bitrate', value: (bps) => Math.max(1, Math.round(bps / 1000)) };
  if (kind === 'AUDIO' && name === 'opus') return { name: 'bitrate', value: (bps) => Math.round(bps) };
  return undefined;
}
