import { RtcpSrPacket, RtcpSenderInfo } from 'werift';
import { StreamRewriter } from '../rtpEndpoint/StreamRewriter.ts';
import { ntpFromMs } from '../rtpEndpoint/rtcp.ts';
import type { SrtpEncryptor } from '../srtp/SrtpEncryptor.ts';

/** RFC 8285 §4.2 one-byte header extension profile. */
const ONE_BYTE_PROFILE = 0xbede;
/** Largest header we write: 12 fixed + 15 CSRCs + a one-byte extension block of up to 16 bytes of mid. */
const MAX_HEADER = 12 + 15 * 4 + 4 + 20;

/** Wall-clock milliseconds from a monotonic source, so intervals never jump backwards. */
export const monotonicWallMs = (): number => performance.timeOrigin + performance.now();

/** What one outgoing RTP stream writes: its SSRC, clock, negotiated mid, and NACK history size. */
export interface RtpSendStreamOptions {
  readonly ssrc: number;
  readonly clockRate: number;
  /** RFC 8843 §15.2 sdes:mid: extension id negotiated with this peer, and the mid to write. */
  readonly midExtensionId?: number;
  readonly mid?: string;
  /** Packets kept to answer Generic NACKs (RFC 4585 §6.2.1); 0 when NACK was not negotiated. */
  readonly historySize: number;
  /** RTX negotiated for this stream (RFC 4588): retransmissions go on this payload type and SSRC. */
  readonly rtx?: { readonly payloadType: number; readonly ssrc: number };
  /** Clock for reports and source switches (ms, wall time); tests inject their own. */
  readonly now?: () => number;
}

/** Retransmissions one stream may send per second for NACKs: about 3x a 1.5 Mbps video stream's packets, so a NACK flood cannot make Fluo amplify it. */
const RETRANSMIT_PER_S = 500;

/** Feedback the peer sent about this stream (RFC 4585, RFC 5104, REMB), for getStats. */
export interface SendFeedbackCounters {
  pliCount: number;
  firCount: number;
  nackCount: number;
  /** Latest REMB from the peer covering this stream, bps. */
  remb: number;
  /** NACKed packets not resent because the stream's retransmission budget was spent. */
  retransmissionsRefused: number;
}

/** Figures of an outgoing stream for getStats (W3C RTCOutboundRtpStreamStats). */
export interface RtpSendStreamStats extends SendFeedbackCounters {
  packetsSent: number;
  /** Payload octets, as in the SR octet count (RFC 3550 §6.4.1). */
  bytesSent: number;
  /** Packets resent for NACKs (not counted in packetsSent, as in the SR). */
  retransmittedPacketsSent: number;
  /** Seconds, from the last receiver report that echoed one of our SRs; undefined before. */
  roundTripTime: number | undefined;
}

/**
 * One outgoing RTP stream of a WebRTC peer, fed by the forwarding path instead of
 * werift's RTCRtpSender: each forwarded packet is copied once into an SRTP packet with
 * this stream's header (its SSRC, the peer's payload type, sequence number and
 * timestamp made continuous across source switches by StreamRewriter, RFC 3550 §5.1,
 * CSRCs kept, and the source's header extensions replaced by the sdes:mid this peer
 * negotiated, RFC 8285: extension ids are per session, so the source's mean nothing
 * here). The protected packets are kept for NACKs, and the counters feed the sender
 * reports and stats.
 */
export class RtpSendStream {
  readonly ssrc: number;
  readonly clockRate: number;
  readonly #rewriter: StreamRewriter;
  readonly #now: () => number;
  readonly #header = Buffer.alloc(MAX_HEADER);
  readonly #extension: Buffer | undefined;
  readonly #historySeq: Int32Array;
  /** SRTP packets as sent, or with RTX the plain packets (RTX needs the payload). */
  readonly #history: Array<Buffer | undefined>;
  readonly #historyHeader: Uint16Array;
  readonly #rtx: { readonly payloadType: number; readonly ssrc: number } | undefined;
  #rtxSeq = Math.floor(Math.random() * 0x10000);
  #packets = 0;
  #octets = 0;
  #retransmitted = 0;
  #lastTimestamp = 0;
  #lastSentAt = -Infinity;
  #lastSrCompactNtp: number | undefined;
  #rtt: number | undefined;
  #budget = RETRANSMIT_PER_S;
  #budgetAt = 0;
  readonly feedback: SendFeedbackCounters = { pliCount: 0, firCount: 0, nackCount: 0, remb: 0, retransmissionsRefused: 0 };

  constructor(o: RtpSendStreamOptions) {
    this.ssrc = o.ssrc >>> 0;
    this.clockRate = o.clockRate;
    this.#now = o.now ?? monotonicWallMs;
    this.#rewriter = new StreamRewriter(this.ssrc, o.clockRate, this.#now);
    this.#extension = o.midExtensionId && o.mid ? midExtension(o.midExtensionId, o.mid) : undefined;
    this.#historySeq = new Int32Array(o.historySize).fill(-1);
    this.#history = new Array<Buffer | undefined>(o.historySize);
    this.#historyHeader = new Uint16Array(o.rtx ? o.historySize : 0);
    this.#rtx = o.rtx && o.historySize ? { payloadType: o.rtx.payloadType, ssrc: o.rtx.ssrc >>> 0 } : undefined;
  }

  /**
   * Builds, protects and records the packet that carries `src` (a whole plain RTP
   * packet from the pipeline, left untouched) to this peer with `payloadType`.
   * Undefined for a packet that is not RTP or that SRTP cannot send.
   */
  protect(src: Buffer, payloadType: number, srtp: SrtpEncryptor): Buffer | undefined {
    if (src.length < 12 || src[0]! >> 6 !== 2) return undefined;
    const b0 = src[0]!;
    const csrcBytes = (b0 & 0x0f) * 4;
    let payloadOffset = 12 + csrcBytes;
    if (b0 & 0x10) {
      if (src.length < payloadOffset + 4) return undefined;
      payloadOffset += 4 + src.readUInt16BE(payloadOffset + 2) * 4;
    }
    if (payloadOffset > src.length) return undefined;
    const padding = b0 & 0x20 ? src[src.length - 1]! : 0;
    if (payloadOffset + padding > src.length) return undefined;

    const h = this.#header;
    src.copy(h, 0, 0, 12 + csrcBytes);
    this.#rewriter.rewrite(h, payloadType);
    let headerLength = 12 + csrcBytes;
    const ext = this.#extension;
    if (ext) {
      ext.copy(h, headerLength);
      headerLength += ext.length;
      h[0] = 0x80 | (b0 & 0x20) | 0x10 | (b0 & 0x0f);
    } else {
      h[0] = 0x80 | (b0 & 0x20) | (b0 & 0x0f);
    }
    // The payload goes as it is, padding included (RFC 3550 §5.1: P says the last
    // octet counts the padding); SRTP encrypts padding with the payload (RFC 3711 §3.1).
    const out = srtp.protect(h.subarray(0, headerLength), src.subarray(payloadOffset));
    if (!out) return undefined;
    const seq = h.readUInt16BE(2);
    if (this.#history.length) {
      const slot = seq % this.#history.length;
      this.#historySeq[slot] = seq;
      if (this.#rtx) {
        const plain = Buffer.allocUnsafe(headerLength + src.length - payloadOffset);
        h.copy(plain, 0, 0, headerLength);
        src.copy(plain, headerLength, payloadOffset);
        this.#history[slot] = plain;
        this.#historyHeader[slot] = headerLength;
      } else {
        this.#history[slot] = out;
      }
    }
    this.#packets = (this.#packets + 1) >>> 0;
    this.#octets = (this.#octets + src.length - payloadOffset - padding) >>> 0;
    this.#lastTimestamp = h.readUInt32BE(4);
    this.#lastSentAt = this.#now();
    return out;
  }

  /**
   * The packets a Generic NACK (RFC 4585 §6.2.1) reports lost that are still in the
   * history. Without RTX, as they were first sent: the peer never got those bytes, so
   * resending them identically reuses no keystream on anything it has seen. With RTX,
   * as RTX packets (RFC 4588 §4): the RTX payload type, SSRC and own sequence number,
   * the original sequence number (OSN) before the original payload, protected anew.
   */
  retransmissions(lost: readonly number[], srtp?: SrtpEncryptor): Buffer[] {
    const out: Buffer[] = [];
    const n = this.#history.length;
    if (!n) return out;
    // Token bucket refilled continuously up to one second's budget.
    const now = this.#now();
    this.#budget = Math.min(RETRANSMIT_PER_S, this.#budget + ((now - this.#budgetAt) / 1000) * RETRANSMIT_PER_S);
    this.#budgetAt = now;
    for (const seq of lost) {
      const slot = seq % n;
      const pkt = this.#history[slot];
      if (!pkt || this.#historySeq[slot] !== seq) continue;
      if (this.#budget < 1) {
        this.feedback.retransmissionsRefused++;
        continue;
      }
      this.#budget--;
      const sent = this.#rtx ? this.#rtxPacket(pkt, this.#historyHeader[slot]!, this.#rtx, srtp) : pkt;
      if (!sent) continue;
      out.push(sent);
      this.#retransmitted++;
    }
    return out;
  }

  #rtxPacket(plain: Buffer, headerLength: number, rtx: { payloadType: number; ssrc: number }, srtp: SrtpEncryptor | undefined): Buffer | undefined {
    if (!srtp) return undefined;
    const p = Buffer.allocUnsafe(plain.length + 2);
    plain.copy(p, 0, 0, headerLength);
    p[1] = (plain[1]! & 0x80) | rtx.payloadType;
    p.writeUInt16BE(this.#rtxSeq, 2);
    this.#rtxSeq = (this.#rtxSeq + 1) & 0xffff;
    p.writeUInt32BE(rtx.ssrc, 8);
    plain.copy(p, headerLength, 2, 4); // OSN
    plain.copy(p, headerLength + 2, headerLength);
    return srtp.protect(p.subarray(0, headerLength), p.subarray(headerLength));
  }

  /**
   * The sender report of this stream, or undefined if it sent nothing in the last
   * `activeWithinMs` (RFC 3550 §6.4: only active senders send SRs). The RTP timestamp
   * is the last packet's, advanced by the time since it was sent, so that the NTP/RTP
   * pair describes one instant for the receiver's lip sync (RFC 3550 §6.4.1).
   */
  senderReport(activeWithinMs: number): RtcpSrPacket | undefined {
    const now = this.#now();
    if (now - this.#lastSentAt > activeWithinMs) return undefined;
    const rtpTimestamp = (this.#lastTimestamp + Math.round(((now - this.#lastSentAt) / 1000) * this.clockRate)) >>> 0;
    const ntp = ntpFromMs(now);
    this.#lastSrCompactNtp = Number((ntp >> 16n) & 0xffffffffn);
    return new RtcpSrPacket({
      ssrc: this.ssrc,
      senderInfo: new RtcpSenderInfo({ ntpTimestamp: ntp, rtpTimestamp, packetCount: this.#packets, octetCount: this.#octets }),
    });
  }

  /**
   * A report block about this stream from the peer: the round-trip time is the
   * arrival time minus LSR minus DLSR, in 1/65536 s (RFC 3550 §6.4.1), when LSR echoes
   * our latest SR.
   */
  receiverReport(lsr: number, dlsr: number): void {
    if (!lsr || lsr !== this.#lastSrCompactNtp) return;
    const arrival = Number((ntpFromMs(this.#now()) >> 16n) & 0xffffffffn);
    const units = (arrival - lsr - dlsr) >>> 0;
    if (units < 0x80000000) this.#rtt = units / 65536;
  }

  get stats(): RtpSendStreamStats {
    return {
      packetsSent: this.#packets, bytesSent: this.#octets, retransmittedPacketsSent: this.#retransmitted,
      roundTripTime: this.#rtt, ...this.feedback,
    };
  }
}

/** The RFC 8285 one-byte extension block carrying sdes:mid (RFC 8843 §15.2), padded to 32 bits. */
function midExtension(id: number, mid: string): Buffer | undefined {
  const value = Buffer.from(mid, 'ascii');
  if (id < 1 || id > 14 || value.length < 1 || value.length > 16) return undefined;
  const words = Math.ceil((1 + value.length) / 4);
  const b = Buffer.alloc(4 + words * 4);
  b.writeUInt16BE(ONE_BYTE_PROFILE, 0);
  b.writeUInt16BE(words, 2);
  b[4] = (id << 4) | (value.length - 1);
  value.copy(b, 5);
  return b;
}
