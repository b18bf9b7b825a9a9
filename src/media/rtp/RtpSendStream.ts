import { RtcpSrPacket, RtcpSenderInfo } from 'werift';
import { ntpFromMs } from '../rtpEndpoint/rtcp.ts';
import type { SrtpEncryptor } from './SrtpEncryptor.ts';
import { mediaCounters } from '../worker/mediaCounters.ts';
import { SendRate } from './SendRate.ts';
import { SendRecord } from './SendRecord.ts';
import type { BatchOwner, FailedCopy, SendBatch } from './SendBatch.ts';

/**
 * Where the payload of an RTP packet starts (after CSRCs and the extension block,
 * RFC 3550 §5.1, §5.3.1), or -1 when the packet is not RTP version 2 or its header
 * does not fit in it.
 */
function payloadOffsetOf(src: Buffer): number {
  if (src.length < 12 || src[0]! >> 6 !== 2) return -1;
  const b0 = src[0]!;
  let offset = 12 + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (src.length < offset + 4) return -1;
    offset += 4 + src.readUInt16BE(offset + 2) * 4;
  }
  return offset > src.length ? -1 : offset;
}

/** RFC 8285 §4.2 one-byte header extension profile. */
const ONE_BYTE_PROFILE = 0xbede;
/** Largest header we write: 12 fixed + 15 CSRCs + a one-byte extension block of up to 16 bytes of mid. */
const MAX_HEADER = 12 + 15 * 4 + 4 + 20;

/** Wall-clock milliseconds from a monotonic source, so intervals never jump backwards. */
const TIME_ORIGIN = performance.timeOrigin;
export const monotonicWallMs = (): number => TIME_ORIGIN + performance.now();

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

/** RTX as negotiated for a stream (RFC 4588): its payload type and SSRC. */
interface Rtx {
  readonly payloadType: number;
  readonly ssrc: number;
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
  /** The payload rate measured over the last seconds, bps (KMS's outbound targetBitrate; SendRate). */
  targetBitrate: number;
}

/**
 * One outgoing RTP stream of a WebRTC peer, fed by the forwarding path instead of
 * werift's RTCRtpSender. For each forwarded packet it writes this stream's header: its
 * SSRC, the peer's payload type, sequence number and timestamp made continuous across
 * source switches by StreamRewriter (RFC 3550 §5.1), CSRCs kept, and the source's header
 * extensions replaced by the sdes:mid this peer negotiated (RFC 8285: extension ids are
 * per session, so the source's mean nothing here). The payload is the source packet's,
 * untouched. The caller protects header + payload with SRTP: into a new buffer
 * (`protect`), or through the native fast path without one (ForwardingSender).
 *
 * The stream's state (rewriter, rollover counter, counters, NACK ring) is its
 * SendRecord, which the native fast path advances too when the stream's copies go in a
 * batch (`queue`, SendBatch): both paths continue one stream.
 *
 * The NACK history keeps the *source* packets (shared by every sink of the source, so
 * no copy per peer) by a running index; the record's ring gives, per sequence number
 * sent, that index with the timestamp, payload type and ROC it was sent with: a
 * retransmission rebuilds the same header, and SRTP with the same index gives the same
 * bytes. The counters feed the sender reports and stats.
 */
export class RtpSendStream {
  readonly ssrc: number;
  readonly clockRate: number;
  /** The header `prepare` wrote, valid up to the length it returned. */
  readonly header = Buffer.alloc(MAX_HEADER);
  /** Where the payload of the packet `prepare` took starts in its source, and its length (padding included). */
  payloadOffset = 0;
  payloadLength = 0;
  /** The SRTP rollover counter of the packet `prepare` took, or -1 when SRTP refuses its index. */
  roc = 0;
  readonly #record: SendRecord;
  readonly #now: () => number;
  /** Whether `#now` is monotonicWallMs, so a caller's performance.now() reading can stand for it. */
  readonly #wallClock: boolean;
  readonly #extension: Buffer | undefined;
  /** Source packets by history index (`#k` modulo the size), and the index each slot holds, plus one (0: empty). */
  readonly #history: Array<Buffer | undefined>;
  readonly #historyIndex: Uint32Array;
  #k = 0;
  readonly #rtx: Rtx | undefined;
  #rtxSeq = Math.floor(Math.random() * 0x10000);
  #retransmitted = 0;
  #lastSrCompactNtp: number | undefined;
  #rtt: number | undefined;
  #budget = RETRANSMIT_PER_S;
  #budgetAt = 0;
  readonly #rate = new SendRate();
  readonly feedback: SendFeedbackCounters = { pliCount: 0, firCount: 0, nackCount: 0, remb: 0, retransmissionsRefused: 0 };

  constructor(o: RtpSendStreamOptions) {
    this.ssrc = o.ssrc >>> 0;
    this.clockRate = o.clockRate;
    this.#now = o.now ?? monotonicWallMs;
    this.#wallClock = o.now === undefined;
    this.#extension = o.midExtensionId && o.mid ? midExtension(o.midExtensionId, o.mid) : undefined;
    this.#record = new SendRecord(this.ssrc, o.clockRate, this.#extension, o.historySize);
    this.#history = new Array<Buffer | undefined>(o.historySize);
    this.#historyIndex = new Uint32Array(o.historySize);
    this.#rtx = o.rtx && o.historySize ? { payloadType: o.rtx.payloadType, ssrc: o.rtx.ssrc >>> 0 } : undefined;
  }

  /** The worker table slot of this stream's record (SendBatch entries name it). */
  get slot(): number {
    return this.#record.slot;
  }

  /**
   * Takes `src` (a whole plain RTP packet from the pipeline, left untouched) as this
   * stream's next packet with `payloadType`: writes its header into `header`, sets
   * `payloadOffset`/`payloadLength` and `roc`, records it for NACKs and counts it.
   * Returns the header's length, or 0 for a packet that is not RTP. `at`:
   * performance.now(), when the caller just read it (a fan-out reads the clock once per
   * copy, not three times). native/forward_batch.c does the same for batched copies.
   */
  prepare(src: Buffer, payloadType: number, at?: number): number {
    const payloadOffset = payloadOffsetOf(src);
    if (payloadOffset < 0) return 0;
    const padding = src[0]! & 0x20 ? src[src.length - 1]! : 0;
    if (payloadOffset + padding > src.length) return 0;

    const now = at !== undefined && this.#wallClock ? TIME_ORIGIN + at : this.#now();
    const h = this.header;
    const headerLength = this.#writeHeader(h, src);
    const record = this.#record;
    record.rewrite(((src[8]! << 24) | (src[9]! << 16) | (src[10]! << 8) | src[11]!) >>> 0, (src[2]! << 8) | src[3]!, ((src[4]! << 24) | (src[5]! << 16) | (src[6]! << 8) | src[7]!) >>> 0, now);
    const seq = record.seq;
    const timestamp = record.timestamp;
    h[1] = (src[1]! & 0x80) | (payloadType & 0x7f);
    h[2] = seq >>> 8;
    h[3] = seq & 0xff;
    h[4] = timestamp >>> 24;
    h[5] = (timestamp >>> 16) & 0xff;
    h[6] = (timestamp >>> 8) & 0xff;
    h[7] = timestamp & 0xff;
    const ssrc = this.ssrc;
    h[8] = ssrc >>> 24;
    h[9] = (ssrc >>> 16) & 0xff;
    h[10] = (ssrc >>> 8) & 0xff;
    h[11] = ssrc & 0xff;
    const roc = record.rollover(seq);
    // The payload goes as it is, padding included (RFC 3550 §5.1: P says the last
    // octet counts the padding); SRTP encrypts padding with the payload (RFC 3711 §3.1).
    this.payloadOffset = payloadOffset;
    this.payloadLength = src.length - payloadOffset;
    this.roc = roc;
    record.taken(this.#remember(src), payloadType, roc, this.payloadLength - padding, now);
    return headerLength;
  }

  /**
   * Queues `src` in `batch` for this stream with `payloadType`: the native side
   * rewrites, counts and protects it on the record at the flush. False when the batch
   * cannot take it (the caller sends it alone, through `prepare`).
   */
  queue(batch: SendBatch, owner: BatchOwner, tag: object, src: Buffer, payloadType: number): boolean {
    // The index after `add`, which may flush an earlier batch (whose failures can take a packet of this stream first).
    const record = this.#record;
    const entry = batch.add(owner, tag, record.slot, record.id, src, payloadType);
    if (entry < 0) return false;
    batch.index(entry, this.#remember(src));
    return true;
  }

  /** Keeps `src` under the next history index; the index. */
  #remember(src: Buffer): number {
    const k = this.#k;
    this.#k = (k + 1) >>> 0;
    const n = this.#history.length;
    if (n) {
      const slot = k % n;
      this.#history[slot] = src;
      this.#historyIndex[slot] = (k + 1) >>> 0;
    }
    return k;
  }

  /** New SRTP keys for this stream (their native half, if any): the rollover counter starts again. */
  keys(srtp: SrtpEncryptor | undefined): void {
    this.#record.keys(srtp?.nativeContext);
  }

  /** The selected pair's socket and address, for the native path. */
  route(fd: number, sockaddr: Buffer): void {
    this.#record.route(fd, sockaddr);
  }

  /** `prepare`, then SRTP protection into a new buffer: the SRTP packet to send, or undefined. */
  protect(src: Buffer, payloadType: number, srtp: SrtpEncryptor): Buffer | undefined {
    const headerLength = this.prepare(src, payloadType);
    if (!headerLength || this.roc < 0) return undefined;
    return srtp.protectWithRoc(this.header.subarray(0, headerLength), src.subarray(this.payloadOffset), this.roc);
  }

  /**
   * Copies the source's fixed header and CSRCs into `h` and puts our extension block
   * after them (or none); SSRC, sequence number, timestamp and payload type are the
   * caller's to set. Returns the header length.
   */
  #writeHeader(h: Buffer, src: Buffer): number {
    const b0 = src[0]!;
    const fixed = 12 + (b0 & 0x0f) * 4;
    // Byte loops, not Buffer#copy: for 12-72 bytes per packet per sink, copy's range
    // arguments cost a typed-array view each call (about 3% of the worker in a perf
    // profile of bench:sfu at 360 subscribers).
    for (let i = 0; i < fixed; i++) h[i] = src[i]!;
    const ext = this.#extension;
    if (!ext) {
      h[0] = 0x80 | (b0 & 0x20) | (b0 & 0x0f);
      return fixed;
    }
    for (let i = 0; i < ext.length; i++) h[fixed + i] = ext[i]!;
    h[0] = 0x80 | (b0 & 0x20) | 0x10 | (b0 & 0x0f);
    return fixed + ext.length;
  }

  /** The source packet the ring's last `lookup` found, if the history still holds it. */
  #found(): Buffer | undefined {
    const n = this.#history.length;
    const k = this.#record.foundIndex;
    const slot = k % n;
    return this.#historyIndex[slot] === ((k + 1) >>> 0) ? this.#history[slot] : undefined;
  }

  /**
   * The packets a Generic NACK (RFC 4585 §6.2.1) reports lost that are still in the
   * history, protected anew. Without RTX, as they were first sent: same header, same
   * SRTP index, so the same bytes, which the peer never got (no keystream is reused on
   * anything it has seen). With RTX, as RTX packets (RFC 4588 §4): the RTX payload type,
   * SSRC and own sequence number, the original sequence number (OSN) before the
   * original payload.
   */
  retransmissions(lost: readonly number[], srtp: SrtpEncryptor | undefined): Buffer[] {
    const out: Buffer[] = [];
    if (!this.#history.length || !srtp) return out;
    // Token bucket refilled continuously up to one second's budget.
    const now = this.#now();
    this.#budget = Math.min(RETRANSMIT_PER_S, this.#budget + ((now - this.#budgetAt) / 1000) * RETRANSMIT_PER_S);
    this.#budgetAt = now;
    const record = this.#record;
    for (const seq of lost) {
      if (!record.lookup(seq)) continue;
      const src = this.#found();
      if (!src) continue;
      if (this.#budget < 1) {
        this.feedback.retransmissionsRefused++;
        continue;
      }
      this.#budget--;
      const sent = this.#resend(src, seq, record.foundTimestamp, record.foundPayloadType, record.foundRoc, srtp, this.#rtx);
      if (!sent) continue;
      out.push(sent);
      this.#retransmitted++;
      mediaCounters.retransmissions++;
    }
    return out;
  }

  /**
   * A copy the native path counted but could not send (SendBatch: `batchFailed`), built
   * as the batch built it: the SRTP packet, or undefined.
   */
  rebuild(copy: FailedCopy, src: Buffer, srtp: SrtpEncryptor): Buffer | undefined {
    return this.#resend(src, copy.seq, copy.timestamp, copy.payloadType, copy.roc, srtp, undefined);
  }

  /** One history packet rebuilt with the header it was sent with, as itself or as RTX. */
  #resend(src: Buffer, seq: number, timestamp: number, payloadType: number, roc: number, srtp: SrtpEncryptor, rtx: Rtx | undefined): Buffer | undefined {
    const offset = payloadOffsetOf(src);
    if (offset < 0) return undefined;
    const p = Buffer.allocUnsafe(MAX_HEADER + 2);
    const headerLength = this.#writeHeader(p, src);
    p[1] = (src[1]! & 0x80) | (rtx ? rtx.payloadType : payloadType);
    p.writeUInt16BE(rtx ? this.#rtxSeq : seq, 2);
    p.writeUInt32BE(timestamp, 4);
    p.writeUInt32BE(rtx ? rtx.ssrc : this.ssrc, 8);
    if (!rtx) return srtp.protectWithRoc(p.subarray(0, headerLength), src.subarray(offset), roc);
    this.#rtxSeq = (this.#rtxSeq + 1) & 0xffff;
    // RFC 4588 §4: the OSN leads the RTX payload. The original padding stays at the end
    // with the P bit set in the header, as in the original packet.
    p.writeUInt16BE(seq, headerLength);
    return srtp.protect(p.subarray(0, headerLength), Buffer.concat([p.subarray(headerLength, headerLength + 2), src.subarray(offset)]));
  }

  /** Copies the native path sent for this stream, and their bytes. */
  get nativeSent(): { packets: number; bytes: number } {
    return { packets: this.#record.sentPackets, bytes: this.#record.sentBytes };
  }

  /** Frees the stream's record (its slot in the worker's table). Idempotent. */
  release(): void {
    this.#record.release();
  }

  /**
   * The sender report of this stream, or undefined if it sent nothing in the last
   * `activeWithinMs` (RFC 3550 §6.4: only active senders send SRs). The RTP timestamp
   * is the last packet's, advanced by the time since it was sent, so that the NTP/RTP
   * pair describes one instant for the receiver's lip sync (RFC 3550 §6.4.1).
   */
  senderReport(activeWithinMs: number): RtcpSrPacket | undefined {
    const now = this.#now();
    // The send rate's samples ride on the report timer, active or not (a stream that
    // stopped reads 0 once its window passed).
    const r = this.#record;
    this.#rate.sample(r.octets, now);
    const lastSentAt = r.lastSentAt;
    if (now - lastSentAt > activeWithinMs) return undefined;
    const rtpTimestamp = (r.lastTimestamp + Math.round(((now - lastSentAt) / 1000) * this.clockRate)) >>> 0;
    const ntp = ntpFromMs(now);
    this.#lastSrCompactNtp = Number((ntp >> 16n) & 0xffffffffn);
    return new RtcpSrPacket({
      ssrc: this.ssrc,
      senderInfo: new RtcpSenderInfo({ ntpTimestamp: ntp, rtpTimestamp, packetCount: r.packets, octetCount: r.octets }),
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
      packetsSent: this.#record.packets, bytesSent: this.#record.octets, retransmittedPacketsSent: this.#retransmitted,
      roundTripTime: this.#rtt, targetBitrate: this.#rate.bps(this.#record.octets, this.#now()), ...this.feedback,
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
