import dgram from 'node:dgram';
import { enlargeReceiveBuffer } from '../rtp/receiveBuffers.ts';
import os from 'node:os';
import crypto from 'node:crypto';
import { RtpPacket, SrtcpSession, SrtpSession } from 'werift';
import { KurentoError } from '../../shared/KurentoError.ts';
import type { EmitFn, FormatSet } from '../graph/MediaNode.ts';
import { SdpEndpointNode } from '../sdp/SdpEndpointNode.ts';
import { codecsCompatible, type MediaPacket, type RtpCodecInfo } from '../graph/MediaPacket.ts';
import { FlowMonitor } from '../graph/FlowMonitor.ts';
import { buildPlainSdp, parsePlainSdp, type Direction, type LocalMedia, type SdpCodec, type SdpMedia } from './PlainSdp.ts';
import { StreamRewriter } from './StreamRewriter.ts';
import { asksKeyframe, isRtcp, pli, senderReport } from './rtcp.ts';
import type { NodeOpHandlers, OfferOptions, RtpEndpointOptions, Wire } from '../../shared/workerProtocol.ts';
import { mediaCounters } from '../worker/mediaCounters.ts';
import { DatagramOut } from '../native/DatagramOut.ts';
import { DatagramIn } from '../native/DatagramIn.ts';
import { SendRate } from '../rtp/SendRate.ts';

type Kind = 'AUDIO' | 'VIDEO';

/** Codecs an RtpEndpoint offers, with Fluo's payload types (RFC 3551 static ones kept). */
const SUPPORTED: Record<'audio' | 'video', SdpCodec[]> = {
  audio: [{ pt: 111, name: 'opus', clockRate: 48000, channels: 2 }, { pt: 0, name: 'PCMU', clockRate: 8000 }, { pt: 8, name: 'PCMA', clockRate: 8000 }],
  video: [{ pt: 96, name: 'VP8', clockRate: 90000 }, { pt: 98, name: 'VP9', clockRate: 90000 }, { pt: 102, name: 'H264', clockRate: 90000, fmtp: 'packetization-mode=1' }],
};

/** SDES suites Fluo can protect with (werift implements AES-CM-128 with HMAC-SHA1-80). */
const SUITE = 'AES_CM_128_HMAC_SHA1_80';

interface Stream {
  kind: Kind;
  rtp: dgram.Socket;
  rtcp: dgram.Socket | undefined;
  /** Sends on `rtp` and `rtcp` (the native fast path's sendto when built). */
  rtpOut: DatagramOut;
  rtcpOut: DatagramOut | undefined;
  /** Reads `rtp` and `rtcp` (the native fast path's recvmmsg when built). */
  rtpIn: DatagramIn | undefined;
  rtcpIn: DatagramIn | undefined;
  port: number;
  local: LocalMedia;
  remote?: { address: string; port: number; rtcpPort: number };
  latched: boolean;
  comedia: boolean;
  byPt: Map<number, RtpCodecInfo>;
  /** The payload type each source format goes out with (undefined: none fits), found once per format. */
  ptOf: WeakMap<RtpCodecInfo, number | undefined>;
  rewriter?: StreamRewriter;
  /** The measured send rate (KMS's outbound targetBitrate), sampled with the sender reports. */
  sendRate: SendRate;
  remoteSsrc?: number;
  received: number;
  bytes: number;
  dropped: number;
  /** Keyframe requests this endpoint sent to the peer, and the peer sent to it. */
  pliSent: number;
  pliReceived: number;
  /** The peer negotiated PLI or FIR feedback (`a=rtcp-fb`) on this media. */
  keyframeFeedback?: boolean;
}

/**
 * The media side of an RtpEndpoint: plain RTP (and SRTP with SDES keys, RFC 4568) over
 * UDP to ffmpeg, GStreamer or a SIP gateway. One RTP and one RTCP socket per media;
 * COMEDIA latching to the first sender when the peer asks for it or announced no
 * address; packets from other addresses are dropped and counted.
 */
export class RtpEndpointNode extends SdpEndpointNode {
  readonly #streams: Stream[] = [];
  readonly #flow: FlowMonitor;
  readonly #useIpv6: boolean;
  readonly #sdes: { requested: boolean; keyBase64?: string };
  #srtpIn: SrtpSession | undefined;
  #srtpOut: SrtpSession | undefined;
  #srtcpIn: SrtcpSession | undefined;
  #srtcpOut: SrtcpSession | undefined;
  #localKey = crypto.randomBytes(30);
  #timer: NodeJS.Timeout | undefined;
  #connected = false;
  readonly #ports: { min: number; max: number };

  constructor(id: string, emit: EmitFn, o: RtpEndpointOptions) {
    super(id, emit, 'RtpEndpoint');
    this.#useIpv6 = o.useIpv6 === true;
    const crypto = o.crypto ?? null;
    this.#sdes = { requested: !!crypto && Object.keys(crypto).length > 0, keyBase64: crypto?.keyBase64 ?? undefined };
    if (crypto?.crypto && crypto.crypto !== 'AES_128_CM_HMAC_SHA1_80') {
      throw new KurentoError('SDP_CONFIGURATION_ERROR', `Crypto suite ${String(crypto.crypto)} is not supported; use AES_128_CM_HMAC_SHA1_80`);
    }
    if (this.#sdes.keyBase64) this.#localKey = Buffer.from(this.#sdes.keyBase64, 'base64');
    if (this.#sdes.requested && this.#localKey.length !== 30) {
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', 'SDES key must be 30 bytes (16 key + 14 salt), base64-encoded');
    }
    this.#ports = { min: Number(o.minPort) || 0, max: Number(o.maxPort) || 0 };
    this.#flow = FlowMonitor.reporting(this.emit);
  }

  /** The address announced in SDPs: loopback in a private namespace, else the first external one. */
  #address(): string {
    const family = this.#useIpv6 ? 'IPv6' : 'IPv4';
    const ext = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === family && !a.internal);
    return ext?.address ?? (this.#useIpv6 ? '::1' : '127.0.0.1');
  }

  async #bindPair(): Promise<{ rtp: dgram.Socket; rtcp: dgram.Socket; port: number }> {
    const type = this.#useIpv6 ? 'udp6' : 'udp4';
    for (let attempt = 0; attempt < 50; attempt++) {
      const want = this.#ports.min && this.#ports.max > this.#ports.min
        ? this.#ports.min + 2 * Math.floor(Math.random() * ((this.#ports.max - this.#ports.min) / 2))
        : 0;
      const rtp = dgram.createSocket(type);
      const port = await new Promise<number>((resolve) => {
        rtp.once('error', () => resolve(-1));
        rtp.bind(want, () => resolve(rtp.address().port));
      });
      // RTP on an even port, RTCP on the next one (RFC 3550 §11).
      if (port < 0 || port % 2 !== 0) { rtp.close(); continue; }
      const rtcp = dgram.createSocket(type);
      const ok = await new Promise<boolean>((resolve) => {
        rtcp.once('error', () => resolve(false));
        rtcp.bind(port + 1, () => resolve(true));
      });
      if (ok) {
        enlargeReceiveBuffer(rtp);
        return { rtp, rtcp, port };
      }
      rtp.close();
      rtcp.close();
    }
    throw new KurentoError('SDP_END_POINT_CANNOT_CREATE_SESSON', 'No free UDP port pair for RTP/RTCP');
  }

  async #addStream(kind: Kind, codecs: SdpCodec[], direction: Direction, remote?: SdpMedia): Promise<Stream> {
    const { rtp, rtcp, port } = await this.#bindPair();
    if (this.closed) {
      // Released while the ports were being bound: nothing may outlive the release.
      rtp.close();
      rtcp.close();
      throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', 'The RtpEndpoint was released during the negotiation');
    }
    const proto = this.#sdes.requested || (remote?.crypto.length ?? 0) > 0 ? 'RTP/SAVP' : 'RTP/AVP';
    const local: LocalMedia = {
      kind: kind === 'AUDIO' ? 'audio' : 'video', port, proto, codecs, direction, rtcpMux: false, passive: remote?.comedia === true,
      ...(proto === 'RTP/SAVP' ? { crypto: { tag: remote?.crypto.find((c) => c.suite === SUITE)?.tag ?? 1, suite: SUITE, keyBase64: this.#localKey.toString('base64') } } : {}),
    };
    const s: Stream = { kind, rtp, rtcp, rtpOut: new DatagramOut(rtp), rtcpOut: new DatagramOut(rtcp), port, local, latched: false, comedia: remote?.comedia ?? false, byPt: new Map(), ptOf: new WeakMap(), received: 0, bytes: 0, dropped: 0, pliSent: 0, pliReceived: 0, sendRate: new SendRate(), rtpIn: undefined, rtcpIn: undefined };
    for (const c of codecs) s.byPt.set(c.pt, { name: c.name, clockRate: c.clockRate, channels: c.channels, fmtp: c.fmtp });
    s.rtpIn = new DatagramIn(rtp, (buf, address, port) => this.#onPacket(s, buf, address, port, false));
    s.rtcpIn = new DatagramIn(rtcp, (buf, address, port) => this.#onPacket(s, buf, address, port, true));
    rtp.on('error', () => undefined);
    rtcp.on('error', () => undefined);
    this.#streams.push(s);
    return s;
  }

  #setRemote(s: Stream, m: SdpMedia): void {
    s.keyframeFeedback = m.keyframeFeedback;
    const address = m.address && m.address !== '0.0.0.0' && m.address !== '::' ? m.address : undefined;
    if (address && m.port > 0) s.remote = { address, port: m.port, rtcpPort: m.rtcpMux ? m.port : m.rtcpPort ?? m.port + 1 };
    // COMEDIA: no usable address, or the peer says it is active: latch to who sends first.
    if (!s.remote) s.comedia = true;
    const crypto = m.crypto.find((c) => c.suite === SUITE);
    if (m.crypto.length > 0 && !crypto) throw new KurentoError('SDP_CONFIGURATION_ERROR', `None of the offered crypto suites is supported (${SUITE} is)`);
    if (crypto) {
      const remoteKey = Buffer.from(crypto.keyBase64, 'base64');
      if (remoteKey.length !== 30) throw new KurentoError('SDP_PARSE_ERROR', 'SDES inline key must be 30 bytes');
      const keys = (local: Buffer, remote: Buffer) => ({ localMasterKey: local.subarray(0, 16), localMasterSalt: local.subarray(16), remoteMasterKey: remote.subarray(0, 16), remoteMasterSalt: remote.subarray(16) });
      this.#srtpIn = new SrtpSession({ keys: keys(this.#localKey, remoteKey), profile: 1 });
      this.#srtpOut = new SrtpSession({ keys: keys(this.#localKey, remoteKey), profile: 1 });
      // SRTCP uses the same master key and salt with its own derived keys (RFC 3711 §4.3.2).
      this.#srtcpIn = new SrtcpSession({ keys: keys(this.#localKey, remoteKey), profile: 1 });
      this.#srtcpOut = new SrtcpSession({ keys: keys(this.#localKey, remoteKey), profile: 1 });
    }
  }

  #onPacket(s: Stream, raw: Buffer, address: string, port: number, onRtcpPort: boolean): void {
    if (this.closed || raw.length < 12 || raw[0]! >> 6 !== 2) { s.dropped++; return; }
    // Only the peer's address may send: the announced one, or under COMEDIA the one
    // latched to (before the latch anyone may be the peer).
    if (s.remote && (!s.comedia || s.latched) && address !== s.remote.address) { s.dropped++; return; }
    if (s.comedia && !s.latched && !onRtcpPort && !isRtcp(raw)) {
      s.remote = { address, port, rtcpPort: port + 1 };
      s.latched = true;
    }
    if (onRtcpPort || isRtcp(raw)) {
      let rtcp = raw;
      if (this.#srtcpIn) {
        // An SRTCP packet carries at least the 4-byte E+index word and the 10-byte tag.
        if (raw.length < 8 + 14) { s.dropped++; return; }
        try { rtcp = this.#srtcpIn.decrypt(raw); } catch { s.dropped++; return; }
      }
      if (asksKeyframe(rtcp)) {
        s.pliReceived++;
        this.input('VIDEO')?.requestKeyframe(this);
      }
      return;
    }
    let buf = raw;
    if (this.#srtpIn) {
      try { buf = this.#srtpIn.decrypt(raw); } catch { s.dropped++; return; }
    }
    const codec = s.byPt.get(buf[1]! & 0x7f);
    if (!codec) { s.dropped++; return; }
    s.received++;
    s.bytes += buf.length;
    s.remoteSsrc = buf.readUInt32BE(8);
    if (!this.#connected) {
      this.#connected = true;
      this.emit('ConnectionStateChanged', { oldState: 'DISCONNECTED', newState: 'CONNECTED' });
      this.emit('MediaStateChanged', { oldState: 'DISCONNECTED', newState: 'CONNECTED' });
      this.emit('MediaSessionStarted', {});
    }
    this.#flow.packet('in', s.kind);
    this.forward(s.kind, { codec, buf, at: performance.now() } satisfies MediaPacket);
  }

  /**
   * The end of what we send (a played file ended upstream) is not the end of what we
   * receive: our sinks get the peer's media, which goes on. The end stops here, as in
   * Kurento, where an endpoint's sources are its network input.
   */
  override endOfStream(): void {}

  override deliver(kind: Kind, pkt: MediaPacket): void {
    const s = this.#sending(kind);
    if (!s || !s.remote || this.closed) return;
    // The graph forwards only formats this endpoint accepts (MediaGraph.route).
    let pt = s.ptOf.get(pkt.codec);
    if (pt === undefined && !s.ptOf.has(pkt.codec)) {
      pt = [...s.byPt].find(([, c]) => codecsCompatible(pkt.codec, c))?.[0];
      s.ptOf.set(pkt.codec, pt);
    }
    if (pt === undefined) return;
    s.rewriter ??= new StreamRewriter(crypto.randomBytes(4).readUInt32BE(0), pkt.codec.clockRate);
    const out = Buffer.from(pkt.buf);
    s.rewriter.rewrite(out, pt);
    let wire: Buffer = out;
    if (this.#srtpOut) {
      const rtp = RtpPacket.deSerialize(out);
      wire = this.#srtpOut.encrypt(rtp.payload, rtp.header);
    }
    s.rtpOut.send(wire, s.remote.port, s.remote.address);
    mediaCounters.rtpPacketsSent++;
    mediaCounters.rtpBytesSent += wire.length;
    this.#flow.packet('out', kind);
    this.#startReports();
  }

  protected sendKeyframeRequest(): boolean {
    const s = this.#streams.find((x) => x.kind === 'VIDEO');
    if (!s?.remote || s.remoteSsrc === undefined) return false;
    this.#sendRtcp(s, pli(s.rewriter?.ssrc ?? 1, s.remoteSsrc));
    s.pliSent++;
    return true;
  }

  /** RTCP to the peer's RTCP port, protected as SRTCP when SDES keys were exchanged. */
  #sendRtcp(s: Stream, packet: Buffer): void {
    if (!s.remote) return;
    const wire = this.#srtcpOut ? this.#srtcpOut.encrypt(packet) : packet;
    (s.rtcpOut ?? s.rtpOut).send(wire, s.remote.rtcpPort, s.remote.address);
  }

  /** Sender reports every 2 s while sending (RFC 3550 §6.2 interval, simplified). */
  #startReports(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      for (const s of this.#streams) {
        if (s.rewriter) s.sendRate.sample(s.rewriter.octets, performance.now());
        if (!s.rewriter || !s.remote || s.rewriter.lastTimestamp === undefined) continue;
        this.#sendRtcp(s, senderReport(s.rewriter.ssrc, s.rewriter.lastTimestamp, s.rewriter.packets, s.rewriter.octets));
      }
    }, 2000);
    this.#timer.unref();
  }

  /** What this endpoint sends its peer comes from the graph: that flow stopped. */
  override upstreamLost(kind: 'AUDIO' | 'VIDEO'): void {
    this.#flow.stop('out', kind);
  }

  protected override operations(): NodeOpHandlers<'RtpEndpoint'> {
    // Bitrate properties have no effect on a plain RTP peer without REMB.
    return { ...super.operations(), setProperty: () => null };
  }

  #sending(kind: Kind): Stream | undefined {
    return this.#streams.find((x) => x.kind === kind && (x.local.direction === 'sendrecv' || x.local.direction === 'sendonly'));
  }

  /**
   * A peer asks for keyframes if it negotiated PLI or FIR, or sent one anyway. A plain
   * receiver without RTCP (gst-launch's udpsrc, ffplay on an SDP file) never does.
   */
  override get asksForKeyframes(): boolean {
    const s = this.#sending('VIDEO');
    return !s || s.keyframeFeedback === true || s.pliReceived > 0;
  }

  /** The codecs negotiated for sending `kind` to the peer. */
  override accepts(kind: Kind): FormatSet {
    return [...(this.#sending(kind)?.byPt.values() ?? [])];
  }

  /** The codecs the peer may send on `kind`. */
  override produces(kind: Kind): FormatSet {
    return this.#streams.filter((x) => x.kind === kind && (x.local.direction === 'sendrecv' || x.local.direction === 'recvonly')).flatMap((x) => [...x.byPt.values()]);
  }

  #sdp(): string {
    return buildPlainSdp(this.#address(), this.#streams.map((s) => s.local), Date.now() % 1e9);
  }

  protected async processOffer(offer: string): Promise<string> {
    const remote = parsePlainSdp(offer);
    for (const m of remote.media) {
      if (m.kind !== 'audio' && m.kind !== 'video') continue;
      const supported = SUPPORTED[m.kind];
      const codecs = m.codecs.filter((c) => supported.some((x) => x.name.toLowerCase() === c.name.toLowerCase() && x.clockRate === c.clockRate));
      const dir: Direction = m.port === 0 || codecs.length === 0 ? 'inactive'
        : m.direction === 'sendonly' ? 'recvonly' : m.direction === 'recvonly' ? 'sendonly' : m.direction === 'inactive' ? 'inactive' : 'sendrecv';
      const s = await this.#addStream(m.kind === 'audio' ? 'AUDIO' : 'VIDEO', codecs, dir, m);
      this.#setRemote(s, m);
    }
    if (this.#streams.length === 0) throw new KurentoError('SDP_END_POINT_PROCESS_OFFER_ERROR', 'The offer has no audio or video Fluo can use');
    this.formatsChanged();
    return this.#sdp();
  }

  protected async generateOffer(a: OfferOptions): Promise<string> {
    if (a.offerToReceiveAudio !== false) await this.#addStream('AUDIO', SUPPORTED.audio, 'sendrecv');
    if (a.offerToReceiveVideo !== false) await this.#addStream('VIDEO', SUPPORTED.video, 'sendrecv');
    this.formatsChanged();
    return this.#sdp();
  }

  protected async processAnswer(answer: string): Promise<string> {
    const remote = parsePlainSdp(answer);
    const media = remote.media.filter((m) => m.kind === 'audio' || m.kind === 'video');
    for (const s of this.#streams) {
      const m = media.find((x) => x.kind === s.local.kind);
      if (!m) continue;
      s.byPt.clear();
      s.ptOf = new WeakMap();
      for (const c of m.codecs) s.byPt.set(c.pt, { name: c.name, clockRate: c.clockRate, channels: c.channels, fmtp: c.fmtp });
      s.local.direction = m.direction === 'sendonly' ? 'recvonly' : m.direction === 'recvonly' ? 'sendonly' : m.direction;
      this.#setRemote(s, m);
    }
    this.formatsChanged();
    return this.#sdp();
  }

  protected stats(mediaType: string | null): Wire {
    const out: Record<string, Wire> = {};
    const now = Date.now();
    for (const s of this.#streams) {
      if (mediaType && mediaType !== s.kind) continue;
      out[`${this.id}-in-${s.kind}`] = {
        __type__: 'RTCInboundRTPStreamStats', id: `${this.id}-in-${s.kind}`, type: 'inboundrtp', timestampMillis: now,
        ssrc: String(s.remoteSsrc ?? 0), isRemote: false, mediaTrackId: s.kind, transportId: String(s.port), codecId: '',
        firCount: 0, pliCount: s.pliSent, nackCount: 0, sliCount: 0, remb: 0, packetsLost: 0, fractionLost: 0,
        packetsReceived: s.received, bytesReceived: s.bytes, jitter: 0, packetsDropped: s.dropped,
      };
      out[`${this.id}-out-${s.kind}`] = {
        __type__: 'RTCOutboundRTPStreamStats', id: `${this.id}-out-${s.kind}`, type: 'outboundrtp', timestampMillis: now,
        ssrc: String(s.rewriter?.ssrc ?? 0), isRemote: false, mediaTrackId: s.kind, transportId: String(s.port), codecId: '',
        firCount: 0, pliCount: s.pliReceived, nackCount: 0, sliCount: 0, remb: 0, packetsLost: 0, fractionLost: 0,
        packetsSent: s.rewriter?.packets ?? 0, bytesSent: s.rewriter?.octets ?? 0,
        targetBitrate: s.rewriter ? s.sendRate.bps(s.rewriter.octets, performance.now()) : 0, roundTripTime: 0,
      };
    }
    return out;
  }

  protected override onClose(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#flow.close();
    for (const s of this.#streams) {
      s.rtpIn?.close();
      s.rtcpIn?.close();
      s.rtp.close();
      s.rtcp?.close();
    }
    this.#streams.length = 0;
  }
}
