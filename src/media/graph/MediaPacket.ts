import { h264Compatible, h264Profile, fmtpParams, packetizationMode } from './h264.ts';

/** A codec as negotiated on one side (names compared case-insensitively, RFC 4855 §3). */
export interface RtpCodecInfo {
  readonly name: string;
  readonly clockRate: number;
  readonly channels?: number;
  readonly fmtp?: string;
}

/**
 * One RTP packet travelling between media nodes of a pipeline: the whole packet
 * (header + payload, already decrypted), plus the codec it carries so each sink can
 * map it to its own negotiated payload type. Nodes must not keep or mutate `buf`
 * after passing it on: a sink that rewrites copies first.
 */
export interface MediaPacket {
  readonly codec: RtpCodecInfo;
  readonly buf: Buffer;
  /** Receive time in ms (performance.now()), for latency stats. */
  readonly at: number;
}

/** A data-channel message travelling over a DATA connection. */
export interface DataMessage {
  readonly label: string;
  readonly data: string | Buffer;
}

export function codecKey(c: RtpCodecInfo): string {
  return `${c.name.toLowerCase()}/${c.clockRate}`;
}

/**
 * Whether a sink negotiated with `sink` can carry packets of `source` unchanged: same
 * codec and clock rate, and for H.264 the same packetization mode and a profile the
 * sink decodes (h264.ts). Anything else needs a transcoder (MediaGraph.route).
 */
export function codecsCompatible(source: RtpCodecInfo, sink: RtpCodecInfo): boolean {
  if (codecKey(source) !== codecKey(sink)) return false;
  return source.name.toLowerCase() !== 'h264' || h264Compatible(source.fmtp, sink.fmtp);
}

/** A codec in words for error messages; H.264 with its profile and packetization mode. */
export function describeCodec(c: RtpCodecInfo): string {
  const base = `${c.name}/${c.clockRate}`;
  if (c.name.toLowerCase() !== 'h264') return base;
  return `${base} (${h264Profile(fmtpParams(c.fmtp).get('profile-level-id'))}, packetization-mode ${packetizationMode(c.fmtp)})`;
}
