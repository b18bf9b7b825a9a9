import type { RtpCodecInfo } from '../graph/MediaPacket.ts';
import type { EngineBin } from '../engine/EngineBin.ts';
import { KEYFRAME_INTERVAL_MS } from '../sdp/SdpEndpointNode.ts';
import { ENGINE_PT, type Kind } from '../transcode/formats.ts';
import type { SourceInfo, SourceTrack } from './probeSource.ts';

/** Bitrates of the player's own encoders (bit/s): what Kurento's agnosticbin starts a VP8/Opus encode at. */
const VIDEO_BPS = 1_000_000;
const AUDIO_BPS = 64_000;

/** What one branch of the player bin sends, and whether it encodes (so a keyframe can be forced). */
export interface PlayerTrack {
  readonly kind: Kind;
  readonly codec: RtpCodecInfo;
  readonly encodes: boolean;
  /** The branch's udpsink, as the engine names its port. */
  readonly sink: string;
}

/**
 * A sink asked for a keyframe: the bin's video encoder makes one, at most every
 * KEYFRAME_INTERVAL_MS. A track passed through (useEncodedMedia) cannot make one: its
 * next keyframe is the source's own (KMD useEncodedMedia: "lost video keyframes will
 * not be regenerated"). Returns when the last one was asked for.
 */
export function forceKeyframe(bin: EngineBin | undefined, tracks: readonly PlayerTrack[], last: number): number {
  const now = performance.now();
  if (!bin || !tracks.some((t) => t.kind === 'VIDEO' && t.encodes) || now - last < KEYFRAME_INTERVAL_MS) return last;
  bin.keyframe('enc_video').catch(() => undefined);
  return now;
}

export interface PlayerPlan {
  /**
   * The branches, at most two per kind: with `guessed` codecs a passed-through track has
   * a decoding twin (same kind and codec, its own sink) for media that turns out in
   * another codec; only one of the two ever carries media.
   */
  readonly tracks: readonly PlayerTrack[];
  /** The bin description, given the worker's receiving port per track and the SSRC per kind. */
  describe(port: (track: PlayerTrack) => number, ssrc: Readonly<Record<Kind, number>>): string;
}

interface PassThrough {
  readonly caps: string;
  readonly codec: RtpCodecInfo;
  /** Parser (if any) and payloader, from encoded frames to RTP with ENGINE_PT. */
  pay(ssrc: number): string;
}

/** H.264 profile names as ffprobe gives them, to RFC 6184 §8.1 profile_idc + constraint flags. */
const H264_PROFILE_IDC: Record<string, string> = {
  'Constrained Baseline': '42e0', Baseline: '4200', Main: '4d00', High: '6400', 'Constrained High': '640c',
};

function passThrough(kind: Kind, t: SourceTrack): PassThrough | undefined {
  const pt = ENGINE_PT[kind];
  switch (t.codec) {
    case 'vp8': return { caps: 'video/x-vp8', codec: { name: 'VP8', clockRate: 90000 }, pay: (s) => `rtpvp8pay mtu=1200 pt=${pt} ssrc=${s}` };
    case 'vp9': return { caps: 'video/x-vp9', codec: { name: 'VP9', clockRate: 90000 }, pay: (s) => `rtpvp9pay mtu=1200 pt=${pt} ssrc=${s}` };
    case 'h264': {
      const idc = t.profile ? H264_PROFILE_IDC[t.profile] : undefined;
      // A profile a browser may not decode (4:4:4, 10 bit) is not declared as H.264 it takes: decode it instead.
      if (!idc) return undefined;
      const level = Math.min(0xff, Math.max(10, t.level ?? 31)).toString(16).padStart(2, '0');
      return {
        caps: 'video/x-h264', codec: { name: 'H264', clockRate: 90000, fmtp: `level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=${idc}${level}` },
        // SPS/PPS before every IDR: a viewer that joins late can start at the next keyframe (RFC 6184 §8.4).
        pay: (s) => `h264parse config-interval=-1 ! rtph264pay mtu=1200 pt=${pt} ssrc=${s} config-interval=-1 aggregate-mode=zero-latency`,
      };
    }
    case 'opus': return { caps: 'audio/x-opus', codec: { name: 'opus', clockRate: 48000, channels: 2 }, pay: (s) => `rtpopuspay mtu=1200 pt=${pt} ssrc=${s}` };
    default: return undefined;
  }
}

const VP8: RtpCodecInfo = { name: 'VP8', clockRate: 90000 };
const OPUS: RtpCodecInfo = { name: 'opus', clockRate: 48000, channels: 2 };

/** Decoded media encoded to VP8 / Opus (the encoder named `enc_video` / `enc_audio`, for keyframes). */
function encode(kind: Kind, ssrc: number): string {
  if (kind === 'VIDEO') {
    // libvpx settings measured on this machine kind (media-probe-notes §4): threads=1, cpu-used=4.
    return `videoconvert ! vp8enc name=enc_video deadline=1 cpu-used=4 threads=1 lag-in-frames=0 end-usage=cbr target-bitrate=${VIDEO_BPS} ` +
      `keyframe-max-dist=3000 error-resilient=partitions ! rtpvp8pay mtu=1200 pt=${ENGINE_PT.VIDEO} ssrc=${ssrc}`;
  }
  return `audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=2 ! opusenc name=enc_audio bitrate=${AUDIO_BPS} frame-size=20 ! rtpopuspay mtu=1200 pt=${ENGINE_PT.AUDIO} ssrc=${ssrc}`;
}

/**
 * The element that reads the URI: uridecodebin, whose source (filesrc, souphttpsrc,
 * rtspsrc) and decoders only exist once it runs. A decodebin in the description would
 * show its internal unlinked pads at parse time, and the engine would ghost them as the
 * bin's ports and wait for a link that never comes.
 */
function source(uri: string, decodeCaps: string, networkCacheMs: number): string {
  // RTSP: networkCache is rtspsrc's jitter buffer (KMD PlayerEndpoint.networkCache: "RTSP
  // buffer length"), set on uridecodebin's child `source` once it exists (GstChildProxy).
  const rtsp = /^rtsps?:/.test(uri) ? ` source::latency=${Math.max(0, Math.round(networkCacheMs))}` : '';
  // A server that refuses Range requests is read straight through: the demuxer plays
  // without seeking (the non-seekable mode; setPosition is refused).
  return `uridecodebin name=d uri="${quote(uri)}"${rtsp} caps="${decodeCaps}"`;
}

/**
 * The engine bin of a player: the URI read and demuxed (decodebin), then per track a
 * branch to the worker. With `useEncodedMedia`, a track already in a format WebRTC
 * carries (VP8, VP9, H.264 of a browser profile, Opus) is payloaded as it is; any
 * other track, and every track without it, is decoded and encoded to VP8 / Opus, as
 * Kurento decodes by default (KMD PlayerEndpoint.useEncodedMedia). Each branch ends in
 * `udpsink sync=true`: the sink waits for each packet's time on the pipeline clock, so
 * the file plays in real time (media-probe-notes §4: ratio 1.000).
 */
export function playerPlan(uri: string, info: SourceInfo, useEncodedMedia: boolean, networkCacheMs: number, guessed = false): PlayerPlan {
  const branches: Array<{ track: PlayerTrack; caps: string; chain: (ssrc: number) => string }> = [];
  const decodeCaps = ['video/x-raw(ANY)', 'audio/x-raw(ANY)'];
  for (const kind of ['VIDEO', 'AUDIO'] as const) {
    const t = kind === 'VIDEO' ? info.video : info.audio;
    if (!t) continue;
    const sink = `out_${kind.toLowerCase()}`;
    const pass = useEncodedMedia ? passThrough(kind, t) : undefined;
    if (pass) {
      decodeCaps.unshift(pass.caps);
      branches.push({ track: { kind, codec: pass.codec, encodes: false, sink }, caps: pass.caps, chain: pass.pay });
      // `guessed`: the source was not probed (an upload is planned before a byte of it
      // is read), so its track may be in another codec. decodebin then decodes it, and
      // this twin encodes it to the codec announced; without it the track was lost.
      // decodebin's pad links to whichever branch's caps it matches.
      const made = kind === 'VIDEO' ? VP8 : OPUS;
      if (guessed && pass.codec.name === made.name) {
        const raw = kind === 'VIDEO' ? 'video/x-raw(ANY)' : 'audio/x-raw(ANY)';
        branches.push({ track: { kind, codec: pass.codec, encodes: true, sink: `${sink}_decoded` }, caps: raw, chain: (s) => encode(kind, s) });
      }
    } else {
      branches.push({ track: { kind, codec: kind === 'VIDEO' ? VP8 : OPUS, encodes: true, sink }, caps: kind === 'VIDEO' ? 'video/x-raw(ANY)' : 'audio/x-raw(ANY)', chain: (s) => encode(kind, s) });
    }
  }
  const head = source(uri, decodeCaps.join(';'), networkCacheMs);
  return {
    tracks: branches.map((b) => b.track),
    describe: (port, ssrc) => [
      head,
      ...branches.map((b) => `d. ! ${b.caps} ! queue max-size-time=1000000000 max-size-bytes=0 max-size-buffers=0 ! ${b.chain(ssrc[b.track.kind])} ` +
        `! udpsink name=${b.track.sink} host=127.0.0.1 port=${port(b.track)} sync=true async=false`),
      // The engine parses with ghost_unlinked_pads, which would ghost (and so link) the first
      // unlinked sink pad it finds: a branch's queue waiting for its decoded pad, which then
      // never links. This idle tee (not a sink: seeks sent to the sinks do not stop at it) is
      // found first and takes the ghost instead.
      'tee name=ghost_holder',
    ].join(' '),
  };
}

/** A value inside double quotes of a gst-launch description. */
function quote(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}
