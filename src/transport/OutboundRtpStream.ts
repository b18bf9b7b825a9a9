import {
  RtpPacket, RtcpSrPacket, RtcpSenderInfo, RtcpSourceDescriptionPacket, SourceDescriptionChunk, SourceDescriptionItem,
  RTP_EXTENSION_URI, serializeSdesMid, serializeAbsSendTime, ntpTime, type RtcpPacket,
} from 'werift';

/** Packets kept for answering NACKs: about 1 s of 1.5 Mbps video (RFC 4585 §6.2.1). */
const HISTORY = 512;
/** RFC 8285 one-byte header profile. */
const ONE_BYTE_PROFILE = 0xbede;

/** What the stream needs from the DTLS-SRTP transport to put a packet on the wire. */
export interface SrtpSink {
  sendRtp(payload: Buffer, header: RtpPacket['header']): Promise<number>;
}

/**
 * One SSRC this transport sends: the forwarding layer's packets go out as they are
 * (SSRC, payload type, sequence number, timestamp untouched) except for header
 * extensions, which are replaced by the ones negotiated with this peer (ids are per
 * session, RFC 8285 §5, so a forwarded packet's ids mean nothing here; werift's own
 * sender leaks them, webrtc-probe-notes §6). It also keeps the history that answers the
 * peer's NACKs and the counters of its RTCP sender report (RFC 3550 §6.4.1).
 */
export class OutboundRtpStream {
  readonly #history: Array<RtpPacket | undefined> = new Array(HISTORY);
  #packets = 0;
  #octets = 0;
  #lastRtpTimestamp = 0;
  #lastSendMs = 0;
  #sentAny = false;
  #retransmitted = 0;

  constructor(
    readonly ssrc: number,
    readonly clockRate: number,
    private readonly ext: { midId?: number; mid: string; absSendTimeId?: number },
  ) {}

  /** Parses, re-stamps extensions, records and sends one RTP packet; false if dropped. */
  send(sink: SrtpSink, buf: Buffer): boolean {
    if (buf.length < 12 || buf[0]! >> 6 !== 2) return false;
    const pkt = RtpPacket.deSerialize(buf);
    const h = pkt.header;
    if (h.padding) {
      // werift's parser already cut the padding off the payload; a padding-only
      // packet is a bandwidth probe of the original sender, not media for this peer.
      if (pkt.payload.length === 0) return false;
      h.padding = false;
      h.paddingSize = 0;
    }
    const exts: Array<{ id: number; payload: Buffer }> = [];
    if (this.ext.midId) exts.push({ id: this.ext.midId, payload: serializeSdesMid(this.ext.mid) });
    if (this.ext.absSendTimeId) exts.push({ id: this.ext.absSendTimeId, payload: serializeAbsSendTime(ntpTime()) });
    h.extensions = exts;
    h.extension = exts.length > 0;
    h.extensionProfile = ONE_BYTE_PROFILE;
    this.#history[h.sequenceNumber % HISTORY] = pkt;
    this.#packets = (this.#packets + 1) >>> 0;
    this.#octets = (this.#octets + pkt.payload.length) >>> 0;
    this.#lastRtpTimestamp = h.timestamp;
    this.#lastSendMs = performance.now();
    this.#sentAny = true;
    void sink.sendRtp(pkt.payload, h);
    return true;
  }

  /** Resends what the peer reported lost (RFC 4585 §6.2.1 Generic NACK); plain retransmission. */
  retransmit(sink: SrtpSink, lost: number[]): number {
    let n = 0;
    for (const seq of lost) {
      const pkt = this.#history[seq % HISTORY];
      if (!pkt || pkt.header.sequenceNumber !== seq) continue;
      void sink.sendRtp(pkt.payload, pkt.header);
      n++;
    }
    this.#retransmitted += n;
    return n;
  }

  get packetsSent(): number {
    return this.#packets;
  }

  get retransmitted(): number {
    return this.#retransmitted;
  }

  /**
   * SR + SDES CNAME for this SSRC, or nothing before the first packet. The RTP
   * timestamp is extrapolated from the last packet to "now" so that the NTP/RTP pair
   * describes one instant, which receivers use for lip sync (RFC 3550 §6.4.1).
   */
  senderReport(cname: string): RtcpPacket[] {
    if (!this.#sentAny) return [];
    const elapsed = (performance.now() - this.#lastSendMs) / 1000;
    const rtpTimestamp = (this.#lastRtpTimestamp + Math.round(elapsed * this.clockRate)) >>> 0;
    const sr = new RtcpSrPacket({
      ssrc: this.ssrc,
      senderInfo: new RtcpSenderInfo({ ntpTimestamp: ntpTime(), rtpTimestamp, packetCount: this.#packets, octetCount: this.#octets }),
    });
    const sdes = new RtcpSourceDescriptionPacket({
      chunks: [new SourceDescriptionChunk({ source: this.ssrc, items: [new SourceDescriptionItem({ type: 1, text: cname })] })],
    });
    return [sr, sdes];
  }
}

/** The extension URIs this stream writes. */
export const WRITTEN_EXTENSIONS = { mid: RTP_EXTENSION_URI.sdesMid, absSendTime: RTP_EXTENSION_URI.absSendTime };
