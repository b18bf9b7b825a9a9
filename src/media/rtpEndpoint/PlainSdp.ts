import { KurentoError } from '../../shared/KurentoError.ts';

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface SdpCodec { pt: number; name: string; clockRate: number; channels?: number; fmtp?: string }

export interface SdpMedia {
  kind: 'audio' | 'video' | 'application' | string;
  port: number;
  proto: string;
  pts: number[];
  codecs: SdpCodec[];
  direction: Direction;
  address?: string;
  rtcpPort?: number;
  rtcpMux: boolean;
  /** RFC 4568 `a=crypto:<tag> <suite> inline:<key>` lines. */
  crypto: Array<{ tag: number; suite: string; keyBase64: string }>;
  /** `a=direction:active` (RFC 4145 / COMEDIA): the peer sends first; latch to it. */
  comedia: boolean;
  /** `a=rtcp-fb:<pt or *> nack pli` or `ccm fir` (RFC 4585 §4.2, RFC 5104 §7.1): the peer can ask for keyframes. */
  keyframeFeedback: boolean;
}

export interface PlainSessionDescription {
  address?: string;
  media: SdpMedia[];
}

/** Static payload types of RFC 3551 §6 that offers may list without rtpmap. */
const STATIC: Record<number, SdpCodec> = {
  0: { pt: 0, name: 'PCMU', clockRate: 8000, channels: 1 },
  8: { pt: 8, name: 'PCMA', clockRate: 8000, channels: 1 },
};

/**
 * A small SDP reader for plain RTP peers (RFC 8866, RFC 3264): what RtpEndpoint needs
 * to talk to ffmpeg, GStreamer or a SIP gateway. Unknown lines are ignored; lines that
 * are not `x=value`, or a missing `v=0`/m-line, are SDP_PARSE_ERROR (40201).
 */
export function parsePlainSdp(text: string): PlainSessionDescription {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  if (lines[0] !== 'v=0') throw new KurentoError('SDP_PARSE_ERROR', "SDP does not start with 'v=0'");
  const out: PlainSessionDescription = { media: [] };
  let m: SdpMedia | undefined;
  for (const line of lines) {
    if (!/^[a-z]=/.test(line)) throw new KurentoError('SDP_PARSE_ERROR', `Malformed SDP line '${line.slice(0, 80)}'`);
    const type = line[0];
    const value = line.slice(2);
    if (type === 'm') {
      const [kind, port, proto, ...fmts] = value.split(/\s+/);
      const p = Number(port?.split('/')[0]);
      if (!kind || !Number.isInteger(p) || p < 0 || p > 65535 || !proto) throw new KurentoError('SDP_PARSE_ERROR', `Malformed m-line '${line.slice(0, 80)}'`);
      const pts = fmts.map(Number).filter((n) => Number.isInteger(n) && n >= 0 && n < 128);
      m = { kind, port: p, proto, pts, codecs: pts.filter((pt) => STATIC[pt]).map((pt) => ({ ...STATIC[pt]! })), direction: 'sendrecv', rtcpMux: false, crypto: [], comedia: false, keyframeFeedback: false };
      out.media.push(m);
    } else if (type === 'c') {
      const addr = /^IN IP[46] (\S+)/.exec(value)?.[1]?.split('/')[0];
      if (m) m.address = addr; else out.address = addr;
    } else if (type === 'a' && m) {
      const [attr, ...rest] = value.split(':');
      const v = rest.join(':');
      if (attr === 'rtpmap') {
        const r = /^(\d+) ([\w.-]+)\/(\d+)(?:\/(\d+))?/.exec(v);
        if (!r) continue;
        const codec: SdpCodec = { pt: Number(r[1]), name: r[2]!, clockRate: Number(r[3]), ...(r[4] ? { channels: Number(r[4]) } : {}) };
        m.codecs = [...m.codecs.filter((c) => c.pt !== codec.pt), codec];
      } else if (attr === 'fmtp') {
        const r = /^(\d+) (.*)$/.exec(v);
        const c = r ? m.codecs.find((x) => x.pt === Number(r[1])) : undefined;
        if (c) c.fmtp = r![2];
      } else if (attr === 'sendrecv' || attr === 'sendonly' || attr === 'recvonly' || attr === 'inactive') {
        m.direction = attr;
      } else if (attr === 'rtcp') {
        const port = Number(v.split(' ')[0]);
        if (Number.isInteger(port)) m.rtcpPort = port;
      } else if (attr === 'rtcp-mux') {
        m.rtcpMux = true;
      } else if (attr === 'crypto') {
        const r = /^(\d+) (\S+) inline:([A-Za-z0-9+/=]+)/.exec(v);
        if (r) m.crypto.push({ tag: Number(r[1]), suite: r[2]!, keyBase64: r[3]! });
      } else if (attr === 'rtcp-fb') {
        if (/^(\d+|\*)\s+(nack\s+pli|ccm\s+fir)\b/.test(v.trim())) m.keyframeFeedback = true;
      } else if (attr === 'direction' && v.trim() === 'active') {
        m.comedia = true;
      }
    }
  }
  if (out.media.length === 0) throw new KurentoError('SDP_PARSE_ERROR', 'SDP has no media section');
  for (const media of out.media) media.address ??= out.address;
  return out;
}

export interface LocalMedia {
  kind: string;
  port: number;
  proto: string;
  codecs: SdpCodec[];
  direction: Direction;
  crypto?: { tag: number; suite: string; keyBase64: string };
  rtcpMux: boolean;
  /** Answering a COMEDIA offer (`a=direction:active`): we wait for the peer's first packet (RFC 4145 §4, Kurento writes it too). */
  passive?: boolean;
}

/** Writes an SDP for plain RTP (an offer or an answer) with CRLF line ends. */
export function buildPlainSdp(address: string, media: LocalMedia[], sessionVersion: number): string {
  const ip = address.includes(':') ? 'IP6' : 'IP4';
  const lines = ['v=0', `o=- ${sessionVersion} ${sessionVersion} IN ${ip} ${address}`, 's=Fluo', `c=IN ${ip} ${address}`, 't=0 0'];
  for (const m of media) {
    lines.push(`m=${m.kind} ${m.port} ${m.proto} ${m.codecs.map((c) => c.pt).join(' ') || '0'}`);
    if (!m.rtcpMux && m.port > 0) lines.push(`a=rtcp:${m.port + 1}`);
    for (const c of m.codecs) {
      lines.push(`a=rtpmap:${c.pt} ${c.name}/${c.clockRate}${c.channels && c.channels > 1 ? `/${c.channels}` : ''}`);
      if (c.fmtp) lines.push(`a=fmtp:${c.pt} ${c.fmtp}`);
    }
    if (m.kind === 'video' && m.port > 0) for (const c of m.codecs) lines.push(`a=rtcp-fb:${c.pt} nack`, `a=rtcp-fb:${c.pt} nack pli`, `a=rtcp-fb:${c.pt} ccm fir`);
    if (m.rtcpMux) lines.push('a=rtcp-mux');
    if (m.crypto) lines.push(`a=crypto:${m.crypto.tag} ${m.crypto.suite} inline:${m.crypto.keyBase64}`);
    if (m.passive) lines.push('a=direction:passive');
    lines.push(`a=${m.direction}`);
  }
  return lines.join('\r\n') + '\r\n';
}
