import type { RtpCodecInfo } from '../graph/MediaPacket.ts';
import { rtpCaps, type Kind } from '../transcode/formats.ts';
import { vp8KeyframeSize } from '../graph/keyframes.ts';
import { spsOfRtp, type SpsInfo } from '../graph/h264Sps.ts';

/**
 * What each KMD MediaProfileSpecType records: its tracks, the RTP formats each track
 * takes as they are (anything else is transcoded by the media graph first: codecs pass
 * through when the container takes them, issue 11 §4), and the GStreamer chain from a
 * track's RTP to the muxer. Container choices follow what stays playable when the
 * server dies mid-recording (shared/reference/engine-host-notes.md: Matroska/WebM
 * with an unbuffered filesink, fragmented MP4), and what gives a correct duration and
 * an index when the recording is stopped (the muxer's EOS rewrites the header).
 */

export type ProfileName =
  | 'WEBM' | 'MKV' | 'MP4' | 'WEBM_VIDEO_ONLY' | 'WEBM_AUDIO_ONLY' | 'MKV_VIDEO_ONLY' | 'MKV_AUDIO_ONLY'
  | 'MP4_VIDEO_ONLY' | 'MP4_AUDIO_ONLY' | 'JPEG_VIDEO_ONLY' | 'KURENTO_SPLIT_RECORDER' | 'FLV';

export interface TrackPlan {
  readonly kind: Kind;
  /** Formats taken without the graph transcoding them, in order of preference. */
  readonly accepts: readonly RtpCodecInfo[];
  /**
   * Depayloading (and, where the container needs it, decoding and encoding) of one
   * format, up to the muxer; `bitrateBps`: the target of an encoder in it (the
   * recorder's encoderBitrate settings).
   */
  chain(codec: RtpCodecInfo, bitrateBps: number): string;
  /** Whether `chain` decodes and encodes (the element then reports MediaTranscodingStateChanged). */
  transcodes(codec: RtpCodecInfo): boolean;
  /**
   * What the chain's element `pin` is set to from the recording's first keyframe (its
   * first RTP packet), before that keyframe enters: caps that keep the file to one
   * picture format across the sender's resolution changes. Undefined: nothing to set.
   */
  pin?(codec: RtpCodecInfo, firstKeyframe: Buffer): string | undefined;
}

export interface ProfilePlan {
  readonly name: ProfileName;
  readonly video?: TrackPlan;
  readonly audio?: TrackPlan;
  /** The muxer, named `mux`, with the properties that keep the file playable. */
  readonly mux: string;
  /** A request pad template of `mux` per kind (`video_%u`), or '' for a muxer-less stream. */
  readonly pad: Record<Kind, string>;
  /** File name extension, for messages. */
  readonly extension: string;
}

const VP8: RtpCodecInfo = { name: 'VP8', clockRate: 90000 };
const VP9: RtpCodecInfo = { name: 'VP9', clockRate: 90000 };
const OPUS: RtpCodecInfo = { name: 'opus', clockRate: 48000, channels: 2 };
/** H.264 as recorders take it: any of the usual profiles, packetization mode 1 or 0 (h264.ts compares profiles). */
const H264: readonly RtpCodecInfo[] = ['42e01f', '42001f', '4d001f', '64001f'].flatMap((plid) => [1, 0].map((mode) => ({
  name: 'H264', clockRate: 90000, fmtp: `profile-level-id=${plid};packetization-mode=${mode}`,
})));

const DEPAY: Record<string, string> = {
  vp8: 'rtpvp8depay request-keyframe=true wait-for-keyframe=true',
  vp9: 'rtpvp9depay request-keyframe=true wait-for-keyframe=true',
  h264: 'rtph264depay request-keyframe=true wait-for-keyframe=true ! h264parse',
  opus: 'rtpopusdepay ! opusparse',
};

function passThrough(kind: Kind, accepts: readonly RtpCodecInfo[]): TrackPlan {
  return {
    kind, accepts,
    chain: (c) => DEPAY[c.name.toLowerCase()] ?? fail(c),
    transcodes: () => false,
  };
}

/** Still pictures: whatever video arrives is decoded and written as a Motion-JPEG stream (one JPEG after another). */
const JPEG_TRACK: TrackPlan = {
  kind: 'VIDEO', accepts: [VP8, VP9, ...H264],
  chain: (c) => `${DEPAY[c.name.toLowerCase()] ?? fail(c)} ! ${c.name.toLowerCase() === 'h264' ? 'avdec_h264' : `${c.name.toLowerCase()}dec`} ! videoconvert ! jpegenc`,
  transcodes: () => true,
};

/**
 * H.264 with its parameter sets in band (avc3) under the caps `pin`, which the node sets
 * from the recording's first keyframe: what MP4 and MKV take H.264 through (see
 * H264_IN_BAND and H264_FROM_VP8_IN_BAND).
 */
const AVC3_PINNED = 'h264parse config-interval=-1 ! video/x-h264,stream-format=avc3,alignment=au ! ' +
  'capssetter name=pin join=true replace=false caps=video/x-h264';

/**
 * VP8 into an H.264 container is decoded and encoded to H.264 inside the recorder. A
 * sender changes its resolution as its bandwidth and CPU allow (browsers do, often in a
 * call's first seconds, starting small at a low bandwidth estimate). An MP4 sample entry
 * holds one size, and GStreamer's mp4mux answers a change with a second entry that, in a
 * fragmented file, overwrites the first fragment when the header is rewritten at the
 * end: a file no player opens. So MP4 takes the encoder's H.264 as H264_IN_BAND takes a
 * sender's: parameter sets in band (avc3), the caps the muxer sees pinned to the first
 * keyframe's (h264FromVp8Pin), and every picture at the size it was sent. A keyframe
 * every 2 s keeps the file seekable.
 */
const ENCODE_H264 = (bitrateBps: number): string =>
  `x264enc name=enc tune=zerolatency speed-preset=ultrafast threads=1 key-int-max=60 aud=false bitrate=${Math.max(1, Math.round(bitrateBps / 1000))} ! ` +
  // ultrafast uses no CABAC, B-frames or 8x8 transforms: x264 writes constrained baseline.
  'video/x-h264,profile=constrained-baseline';
const H264_FROM_VP8_IN_BAND = (bitrateBps: number): string =>
  `${DEPAY.vp8} ! vp8dec ! videoconvert ! ${ENCODE_H264(bitrateBps)} ! ${AVC3_PINNED}`;

/**
 * FLV's AVC sequence header holds the parameter sets (no avc3): VP8 encoded to H.264 at
 * one picture size for the whole file, scaled (aspect kept with borders) to the size of
 * the recording's first keyframe, which the node sets on the capsfilter `pin` before
 * that keyframe enters (vp8Pin).
 */
const H264_FROM_VP8_ONE_SIZE = (bitrateBps: number): string =>
  `${DEPAY.vp8} ! vp8dec ! videoconvert ! videoscale add-borders=true ! capsfilter name=pin caps=video/x-raw ! ` +
  `${ENCODE_H264(bitrateBps)} ! h264parse`;

/**
 * H.264 passed through into MP4 or Matroska keeps its sender's sizes: the parameter sets
 * go in band (the avc3 sample entry of ISO/IEC 14496-15: a decoder follows a new SPS), and the caps
 * the muxer sees are pinned to the first keyframe's (`capssetter`, pinnedH264Caps) so
 * that a new size is not a new sample entry (MP4, see H264_FROM_VP8_IN_BAND) nor a refused caps
 * change (matroskamux: "Could not multiplex stream").
 */
const H264_IN_BAND = `rtph264depay request-keyframe=true wait-for-keyframe=true ! ${AVC3_PINNED}`;

/** The size H264_FROM_VP8_ONE_SIZE scales to: the first VP8 keyframe's. */
function vp8Pin(c: RtpCodecInfo, rtp: Buffer): string | undefined {
  const size = vp8Size(c, rtp);
  return size && `video/x-raw,width=${size.width},height=${size.height}`;
}

/** The picture size of a VP8 keyframe's first packet; undefined for other codecs and packets. */
function vp8Size(c: RtpCodecInfo, rtp: Buffer): { width: number; height: number } | undefined {
  return c.name.toLowerCase() === 'vp8' ? vp8KeyframeSize(rtp) : undefined;
}

/** The caps H264_IN_BAND keeps: the first H.264 keyframe's SPS. */
function h264Pin(c: RtpCodecInfo, rtp: Buffer): string | undefined {
  const sps = c.name.toLowerCase() === 'h264' ? spsOfRtp(rtp) : undefined;
  return sps && pinnedH264Caps(sps);
}

/**
 * The caps H264_FROM_VP8_IN_BAND keeps: the first VP8 keyframe's size, and what x264
 * writes (constrained baseline, constraint_set0 and set1). The level is declared for up
 * to 1080p (4), or 5.1 above: x264 picks each SPS's level from its size, and the
 * sample entry's must cover every later size, not only the first.
 */
function h264FromVp8Pin(c: RtpCodecInfo, rtp: Buffer): string | undefined {
  const size = vp8Size(c, rtp);
  if (!size) return undefined;
  const macroblocks = Math.ceil(size.width / 16) * Math.ceil(size.height / 16);
  return pinnedH264Caps({ profileIdc: 66, constraints: 0xc0, levelIdc: macroblocks <= 8192 ? 40 : 51, ...size });
}

/** MP4's video: H.264 as it comes (H264_IN_BAND), VP8 encoded to H.264 here (H264_FROM_VP8_IN_BAND). */
const H264_VIDEO: TrackPlan = {
  kind: 'VIDEO', accepts: [...H264, VP8],
  chain: (c, bps) => (c.name.toLowerCase() === 'vp8' ? H264_FROM_VP8_IN_BAND(bps) : c.name.toLowerCase() === 'h264' ? H264_IN_BAND : fail(c)),
  transcodes: (c) => c.name.toLowerCase() === 'vp8',
  pin: (c, rtp) => h264FromVp8Pin(c, rtp) ?? h264Pin(c, rtp),
};

/**
 * The caps of avc3 H.264 as h264parse gives them for `sps` (the fields a new SPS would
 * change): size, profile and level, and codec_data, which in avc3 is an
 * AVCDecoderConfigurationRecord without parameter sets (ISO/IEC 14496-15: version 1,
 * profile, compatibility, level, 4-byte lengths, no SPS, no PPS).
 */
function pinnedH264Caps(sps: SpsInfo): string {
  const hex = (n: number): string => n.toString(16).padStart(2, '0');
  const codecData = `01${hex(sps.profileIdc)}${hex(sps.constraints)}${hex(sps.levelIdc)}ffe000`;
  return `video/x-h264,width=(int)${sps.width},height=(int)${sps.height},codec_data=(buffer)${codecData},profile=(string)${h264ProfileName(sps)},level=(string)${h264LevelName(sps)}`;
}

/** GStreamer's name of an SPS's profile (as gst_codec_utils_h264_get_profile gives it). */
function h264ProfileName(sps: SpsInfo): string {
  const c = sps.constraints;
  switch (sps.profileIdc) {
    case 66: return c & 0x40 ? 'constrained-baseline' : 'baseline';
    case 77: return 'main';
    case 88: return 'extended';
    case 100: return c & 0x08 ? (c & 0x04 ? 'constrained-high' : 'progressive-high') : 'high';
    case 110: return c & 0x10 ? 'high-10-intra' : 'high-10';
    case 122: return c & 0x10 ? 'high-4:2:2-intra' : 'high-4:2:2';
    case 244: return c & 0x10 ? 'high-4:4:4-intra' : 'high-4:4:4';
    default: return `profile-${sps.profileIdc}`;
  }
}

/** GStreamer's name of an SPS's level: "1b", "3", "3.1". */
function h264LevelName(sps: SpsInfo): string {
  if (sps.levelIdc === 9 || (sps.levelIdc === 11 && sps.constraints & 0x10 && (sps.profileIdc === 66 || sps.profileIdc === 77 || sps.profileIdc === 88))) return '1b';
  return sps.levelIdc % 10 ? `${Math.floor(sps.levelIdc / 10)}.${sps.levelIdc % 10}` : `${sps.levelIdc / 10}`;
}

/** FLV (its AVC sequence header holds the parameter sets: no avc3): H.264 as it comes, VP8 encoded to H.264 at one size. */
const FLV_VIDEO: TrackPlan = {
  kind: 'VIDEO', accepts: [...H264, VP8],
  chain: (c, bps) => (c.name.toLowerCase() === 'vp8' ? H264_FROM_VP8_ONE_SIZE(bps) : DEPAY[c.name.toLowerCase()] ?? fail(c)),
  transcodes: (c) => c.name.toLowerCase() === 'vp8',
  pin: vp8Pin,
};

/** FLV carries H.264 and AAC: Opus is decoded and encoded to AAC inside the recorder. */
const FLV_AUDIO: TrackPlan = {
  kind: 'AUDIO', accepts: [OPUS],
  chain: () => 'rtpopusdepay ! opusdec ! audioconvert ! audioresample ! avenc_aac ! aacparse',
  transcodes: () => true,
};

function fail(c: RtpCodecInfo): never {
  throw new Error(`no recording chain for ${c.name}`);
}

const MATROSKA_PADS: Record<Kind, string> = { VIDEO: 'video_%u', AUDIO: 'audio_%u' };
const WEBM_VIDEO = passThrough('VIDEO', [VP8, VP9]);
/** Matroska: VP8 and VP9 as they are, H.264 in band with pinned caps (H264_IN_BAND). */
const MKV_VIDEO: TrackPlan = {
  kind: 'VIDEO', accepts: [VP8, VP9, ...H264],
  chain: (c) => (c.name.toLowerCase() === 'h264' ? H264_IN_BAND : DEPAY[c.name.toLowerCase()] ?? fail(c)),
  transcodes: () => false,
  pin: h264Pin,
};
const MP4_VIDEO = H264_VIDEO;
const OPUS_AUDIO = passThrough('AUDIO', [OPUS]);
// Matroska: the header is written first and fixed at EOS (duration, cues): seekable
// after stop, and playable without them after a crash.
const WEBM_MUX = 'webmmux name=mux writing-app=Fluo';
const MKV_MUX = 'matroskamux name=mux writing-app=Fluo';
// Fragmented MP4: a fragment per second is complete on disk (a crash loses at most the
// last one); EOS writes the duration and the fragment index.
const MP4_MUX = 'mp4mux name=mux fragment-duration=1000 streamable=false';

const PLANS: Record<Exclude<ProfileName, 'KURENTO_SPLIT_RECORDER'>, ProfilePlan> = {
  WEBM: { name: 'WEBM', video: WEBM_VIDEO, audio: OPUS_AUDIO, mux: WEBM_MUX, pad: MATROSKA_PADS, extension: 'webm' },
  WEBM_VIDEO_ONLY: { name: 'WEBM_VIDEO_ONLY', video: WEBM_VIDEO, mux: WEBM_MUX, pad: MATROSKA_PADS, extension: 'webm' },
  WEBM_AUDIO_ONLY: { name: 'WEBM_AUDIO_ONLY', audio: OPUS_AUDIO, mux: WEBM_MUX, pad: MATROSKA_PADS, extension: 'webm' },
  MKV: { name: 'MKV', video: MKV_VIDEO, audio: OPUS_AUDIO, mux: MKV_MUX, pad: MATROSKA_PADS, extension: 'mkv' },
  MKV_VIDEO_ONLY: { name: 'MKV_VIDEO_ONLY', video: MKV_VIDEO, mux: MKV_MUX, pad: MATROSKA_PADS, extension: 'mkv' },
  MKV_AUDIO_ONLY: { name: 'MKV_AUDIO_ONLY', audio: OPUS_AUDIO, mux: MKV_MUX, pad: MATROSKA_PADS, extension: 'mkv' },
  MP4: { name: 'MP4', video: MP4_VIDEO, audio: OPUS_AUDIO, mux: MP4_MUX, pad: MATROSKA_PADS, extension: 'mp4' },
  MP4_VIDEO_ONLY: { name: 'MP4_VIDEO_ONLY', video: MP4_VIDEO, mux: MP4_MUX, pad: MATROSKA_PADS, extension: 'mp4' },
  MP4_AUDIO_ONLY: { name: 'MP4_AUDIO_ONLY', audio: OPUS_AUDIO, mux: MP4_MUX, pad: MATROSKA_PADS, extension: 'mp4' },
  JPEG_VIDEO_ONLY: { name: 'JPEG_VIDEO_ONLY', video: JPEG_TRACK, mux: '', pad: { VIDEO: '', AUDIO: '' }, extension: 'jpg' },
  FLV: { name: 'FLV', video: FLV_VIDEO, audio: FLV_AUDIO, mux: 'flvmux name=mux streamable=false', pad: { VIDEO: 'video', AUDIO: 'audio' }, extension: 'flv' },
};

/** The plan of a profile; KURENTO_SPLIT_RECORDER has none (see RecorderEndpoint). */
export function profilePlan(name: string): ProfilePlan | undefined {
  return Object.hasOwn(PLANS, name) ? PLANS[name as keyof typeof PLANS] : undefined;
}

/**
 * The recorder's engine bin: per track, RTP on a udpsrc bound by the engine (`in_video`,
 * `in_audio`), a jitter buffer that times packets by their RTP timestamps alone
 * (`mode=none`: the recorder sends each track as one continuous RTP stream, and arrival
 * times would put a pause or a late packet into the file), the track's chain, then the
 * muxer and `sink`, the file or pipe it writes (`filesink location=... buffer-mode=2`).
 */
export function recorderDescription(plan: ProfilePlan, tracks: ReadonlyArray<{ kind: Kind; codec: RtpCodecInfo }>, sink: string, videoBitrateBps: number): string {
  const parts: string[] = [];
  for (const t of tracks) {
    const track = t.kind === 'VIDEO' ? plan.video : plan.audio;
    if (!track) continue;
    const k = t.kind.toLowerCase();
    const mux = plan.mux ? ` ! queue ! mux.${plan.pad[t.kind].replace('%u', '0')}` : ` ! ${sink}`;
    parts.push(`udpsrc name=in_${k} address=127.0.0.1 port=0 caps="${rtpCaps(t.kind, t.codec)}" ! rtpjitterbuffer mode=none latency=100 ! ${track.chain(t.codec, videoBitrateBps)}${mux}`);
  }
  if (plan.mux) parts.push(`${plan.mux} ! ${sink}`);
  return parts.join('  ');
}
