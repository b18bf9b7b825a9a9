import {
  RtcpRrPacket, RtcpSrPacket, RtcpSourceDescriptionPacket, SourceDescriptionChunk, SourceDescriptionItem,
  RtcpPayloadSpecificFeedback, RtcpTransportLayerFeedback, PictureLossIndication, ReceiverEstimatedMaxBitrate, GenericNack,
  RTP_EXTENSION_URI,
  type RTCPeerConnection, type RTCRtpTransceiver, type RTCRtpSender, type RTCDtlsTransport, type RtcpPacket, type SrtpSession,
} from 'werift';
import { SrtpEncryptor } from './SrtpEncryptor.ts';
import { weriftSessionKeys, type WeriftSessionConfig } from './weriftSessionKeys.ts';
import { SrtcpEncryptor, MAX_SRTCP_INDEX } from './SrtcpEncryptor.ts';
import { RtpSendStream, type RtpSendStreamStats } from './RtpSendStream.ts';
import { SelectedPairRoute, type ConnectionLike } from '../webrtc/SelectedPairRoute.ts';
import { mediaCounters } from '../worker/mediaCounters.ts';
import { sendBatch, NOT_PREPARED, type BatchOwner, type FailedCopy } from './SendBatch.ts';

/** NACK history of a video stream: about 3 s of 1.5 Mbps VP8 (RFC 4585 §6.2.1). */
const VIDEO_HISTORY = 512;
/** Mean interval between sender reports; each one is drawn in [0.5, 1.5] of it (RFC 3550 §6.3.1). */
const REPORT_INTERVAL_MS = 1000;
/** A stream that sent nothing for this long is no longer a sender (RFC 3550 §6.4: two intervals). */
const ACTIVE_SENDER_MS = 3 * REPORT_INTERVAL_MS;

const ignore = (): void => undefined;
/**
 * How long the checks one packet of a stream passed (DTLS up, its SRTP keys, the
 * selected pair, the peer's consent) stand for the stream's next packets, in ms. A
 * fan-out to hundreds of sinks made them per copy, about a third of the JavaScript
 * per copy (a CPU profile of bench:sfu at 200 subscribers). A change they would see
 * is seen at most this late: consent expires after 30 s without an answer (RFC 7675
 * §5.1), and a new selected pair (an ICE restart) already waited for the next packet.
 * A negotiation, a DTLS state change and new SRTP keys end them at once (`recheck`),
 * and the socket is still checked per packet (SelectedPairRoute#liveFd), so nothing
 * is ever written on a closed descriptor or with old keys.
 */
export const CHECKS_STAND_MS = 100;

/** RFC 5104 §4.3.1 FIR and RFC 4585 §6.3.1 PLI format numbers (FMT) of PSFB. */
const FMT_PLI = 1;
const FMT_FIR = 4;

/**
 * What Fluo uses of werift's SrtcpSession beyond its types: the keys it was built with,
 * and its local context's SRTCP index per sender SSRC, which werift's own RTCP (receiver
 * reports, NACK, PLI, REMB, sent with the sender's SSRC) advances too.
 */
interface SrtcpSessionInternals {
  readonly config?: WeriftSessionConfig;
  readonly localContext?: { getSrtcpSsrcState?(ssrc: number): { srtcpIndex: number } | undefined };
}

/** One sending transceiver's state in a ForwardingSender: what `lane` gives and `send` takes. */
export interface SendLane {
  readonly transceiver: RTCRtpTransceiver;
}

interface Bound extends SendLane {
  readonly stream: RtpSendStream;
  /** The transport, SRTP session and encryptor the last packet went with (checked per packet, looked up on change). */
  dtls: RTCDtlsTransport | undefined;
  session: unknown;
  srtp: SrtpEncryptor | undefined;
  /** The route the last checked packet went on, and until when its checks stand (performance.now()). */
  checked: SelectedPairRoute | undefined;
  checkedUntil: number;
  /** The route whose socket and address, and the encryptor whose keys, the stream's record holds (for batched copies). */
  routed: SelectedPairRoute | undefined;
  keyed: SrtpEncryptor | undefined;
  /** The natively sent copies already added to the transport's counters (foldCounts). */
  foldedPackets: number;
  foldedBytes: number;
}

/** What the peer's feedback about our streams asks of the node. */
export interface FeedbackHooks {
  /** A PLI or FIR about one of our video streams (the node asks its source, rate-limited there). */
  keyframe(): void;
  /** A REMB from the peer covering our streams, in bps. */
  bandwidth(bps: number): void;
  /** Any RTCP from the peer (media is alive). */
  rtcp(): void;
}

/**
 * The send half of a WebRtcEndpointNode's RTP, beside werift's RTCRtpSender: forwarded packets
 * are rewritten and SRTP-protected once each by Fluo's own code (RtpSendStream,
 * SrtpEncryptor, with the keys werift's DTLS exported) and put straight on the ICE
 * connection's selected pair. werift keeps ICE, DTLS, receiving and data channels; the
 * peer's feedback about our streams (NACK, PLI, FIR, REMB, RR) is read here from the
 * DTLS transport (see `watch`). Since werift's sender never sends a packet, it never
 * starts its own SR loop (that starts on its first packet), so the SRs for its SSRC
 * are only ours.
 */
export class ForwardingSender implements BatchOwner {
  readonly #pc: RTCPeerConnection;
  readonly #bound = new Map<RTCRtpSender, Bound>();
  readonly #keys = new WeakMap<RTCDtlsTransport, { session: SrtpSession; encryptor: SrtpEncryptor }>();
  readonly #rtcpKeys = new WeakMap<RTCDtlsTransport, { session: unknown; encryptor: SrtcpEncryptor }>();
  readonly #watched = new WeakSet<RTCDtlsTransport>();
  readonly #routes = new WeakMap<RTCDtlsTransport, SelectedPairRoute>();
  /** Packets dropped by full socket buffers on routes no longer in use. */
  #droppedBefore = 0;
  readonly #unsubscribe: Array<() => void> = [];
  readonly #hooks: FeedbackHooks;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(pc: RTCPeerConnection, hooks: FeedbackHooks) {
    this.#pc = pc;
    this.#hooks = hooks;
  }

  /**
   * Takes the peer's RTCP from each DTLS transport as it arrives, before werift's
   * router: werift routes a PSFB by its *sender* SSRC first, so a recvonly peer that
   * declares its own SSRC (Firefox) had its PLIs handed to our receiver and never
   * reached the source. Here feedback is matched on the media SSRC it is about.
   */
  watch(): void {
    for (const dtls of this.#pc.dtlsTransports) {
      if (this.#watched.has(dtls)) continue;
      this.#watched.add(dtls);
      this.#unsubscribe.push(dtls.onRtcp.subscribe((p) => this.#feedback(dtls, p)).unSubscribe);
      this.#unsubscribe.push(dtls.onStateChange.subscribe(() => this.recheck()).unSubscribe);
      this.#watchKeys(dtls);
    }
  }

  /**
   * New SRTP keys on a transport (werift makes a new session object whenever it derives
   * keys, which can happen once more just after the handshake: see #encryptor) end the
   * standing checks at once, so no packet goes out with the old keys: the transport's
   * `srtp` field becomes an accessor that says so when it is set.
   */
  #watchKeys(dtls: RTCDtlsTransport): void {
    const own = Object.getOwnPropertyDescriptor(dtls, 'srtp');
    if (own && !own.configurable) return;
    let session: unknown = dtls.srtp;
    Object.defineProperty(dtls, 'srtp', {
      configurable: true,
      enumerable: true,
      get: () => session,
      set: (v: unknown) => {
        session = v;
        this.recheck();
      },
    });
  }

  /** The lane that sends on `tr` (one per transceiver's sender, kept across negotiations), for `send`. */
  lane(tr: RTCRtpTransceiver, clockRate: number): SendLane {
    return this.#bound.get(tr.sender) ?? this.#bind(tr, clockRate);
  }

  /**
   * Sends one forwarded RTP packet on a lane with the payload type negotiated for it.
   * Dropped (as werift's sender did) until DTLS is up: the peer could not decrypt it;
   * and once ICE consent expired. True when the packet went out (MediaFlowOut counts
   * those). `now`: performance.now(), read once by the caller.
   */
  send(lane: SendLane, payloadType: number, src: Buffer, now: number): boolean {
    if (this.#closed) return false;
    const b = lane as Bound;
    const standing = b.checked;
    if (standing !== undefined && now < b.checkedUntil) {
      // In a fan-out, a stream whose checks stand only names its record (SendBatch); the
      // socket is still checked per copy (a closed descriptor's number may be reused).
      if (sendBatch?.holding && b.routed === standing && standing.live && b.stream.queue(sendBatch, this, b, src, payloadType)) return true;
      const sent = this.#sendChecked(b, standing, payloadType, src, now);
      if (sent !== undefined) return sent;
    }
    const tr = b.transceiver;
    const dtls = tr.dtlsTransport;
    if (!dtls || dtls.state !== 'connected' || !dtls.srtpStarted) return false;
    if (b.dtls !== dtls || b.session !== dtls.srtp) {
      b.srtp = this.#encryptor(dtls);
      b.dtls = dtls;
      b.session = dtls.srtp;
    }
    const srtp = b.srtp;
    if (!srtp) return false;
    const stream = b.stream;
    if (b.keyed !== srtp) {
      stream.keys(srtp);
      b.keyed = srtp;
    }
    const route = this.#route(dtls);
    if (sendBatch?.holding && srtp.nativeContext && route.consented) {
      const target = route.target;
      if (target) {
        if (b.routed !== route) {
          stream.route(target.fd, target.to);
          b.routed = route;
        }
        if (stream.queue(sendBatch, this, b, src, payloadType)) {
          this.#checked(b, route, now);
          return true;
        }
      }
    }
    const headerLength = stream.prepare(src, payloadType, now);
    if (!headerLength || stream.roc < 0) return false;
    const sent = route.sendProtected(srtp, stream.header, headerLength, src, stream.payloadOffset, stream.payloadLength, stream.roc);
    if (sent > 0) {
      this.#checked(b, route, now);
      ForwardingSender.#counted(dtls, sent);
      return true;
    }
    if (sent < 0) {
      const out = srtp.protectWithRoc(stream.header.subarray(0, headerLength), src.subarray(stream.payloadOffset), stream.roc);
      return out ? this.#put(dtls, out) : false;
    }
    return false;
  }

  /** Every check of `send` passed for `b`'s packet on `route`: they stand for the next packets for a while (CHECKS_STAND_MS). */
  #checked(b: Bound, route: SelectedPairRoute, now: number): void {
    b.checked = route;
    b.checkedUntil = now + CHECKS_STAND_MS;
  }

  /**
   * A packet of a stream whose checks stand, sent alone: rewritten, protected with the
   * keys they found and sent on their route natively. Undefined when the route cannot
   * take it natively now (its socket closed, or a failed send): the caller checks
   * everything again.
   */
  #sendChecked(b: Bound, route: SelectedPairRoute, payloadType: number, src: Buffer, now: number): boolean | undefined {
    const srtp = b.srtp!;
    const stream = b.stream;
    const headerLength = stream.prepare(src, payloadType, now);
    if (!headerLength || stream.roc < 0) return false;
    const sent = route.sendConsented(srtp, stream.header, headerLength, src, stream.payloadOffset, stream.payloadLength, stream.roc);
    if (sent > 0) {
      ForwardingSender.#counted(b.dtls!, sent);
      return true;
    }
    if (sent === 0) return false;
    // The route failed this one: the packet was prepared (counted, in the history), so it
    // goes the TypeScript way now, and the next packets are checked again.
    b.checked = undefined;
    const out = srtp.protectWithRoc(stream.header.subarray(0, headerLength), src.subarray(stream.payloadOffset), stream.roc);
    return out ? this.#put(b.dtls!, out) : false;
  }

  /** Something the checks of `send` look at changed (a negotiation, a DTLS state): the next packets are checked again. */
  recheck(): void {
    for (const b of this.#bound.values()) b.checked = undefined;
  }

  /**
   * A copy queued by `send` did not go out in its batch (SendBatch): a full socket
   * buffer drops it (counted by the route); otherwise it goes the TypeScript way,
   * built again as the batch built it (or sent from scratch when the record was not
   * advanced), and the next packets are checked again.
   */
  batchFailed(tag: object, result: number, copy: FailedCopy, source: Buffer): void {
    const b = tag as Bound;
    const dtls = b.dtls;
    if (this.#closed || !dtls) return;
    if (copy.seq === NOT_PREPARED) {
      b.checked = undefined;
      this.send(b, copy.payloadType, source, performance.now());
      return;
    }
    if (this.#route(dtls).settle(result)) return;
    b.checked = undefined;
    const out = b.srtp && b.stream.rebuild(copy, source, b.srtp);
    if (out) this.#put(dtls, out);
  }

  /**
   * Adds the copies the native batch sent since the last call to their transports'
   * counters (werift's getStats reads them): the batch counts them in each stream's
   * record, not per copy here.
   */
  foldCounts(): void {
    for (const b of this.#bound.values()) {
      const { packets, bytes } = b.stream.nativeSent;
      if (b.dtls) {
        b.dtls.packetsSent += (packets - b.foldedPackets) >>> 0;
        b.dtls.bytesSent += bytes - b.foldedBytes;
      }
      b.foldedPackets = packets;
      b.foldedBytes = bytes;
    }
  }

  /** A packet of `bytes` left on `dtls` by the native path: its transport's and the worker's counts. */
  static #counted(dtls: RTCDtlsTransport, bytes: number): void {
    dtls.bytesSent += bytes;
    dtls.packetsSent++;
    mediaCounters.webrtcPacketsSent++;
    mediaCounters.webrtcBytesSent += bytes;
  }

  /** The figures of the stream sending on `ssrc`, for getStats. */
  outbound(ssrc: number): RtpSendStreamStats | undefined {
    return this.#streamOf(ssrc)?.stream.stats;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const u of this.#unsubscribe.splice(0)) u();
    for (const b of this.#bound.values()) b.stream.release();
    this.#bound.clear();
  }

  /**
   * The encryptor for a DTLS transport's current keys: those werift's own SRTP session
   * was built with (it makes a new session whenever it derives keys, so a new session
   * object means new keys here too). Not exported again from the DTLS socket: werift's
   * client can process a retransmitted server flight after the handshake and derive a
   * second master secret the peer never saw (seen over ICE-TCP in
   * test/media/ice-tcp.test.ts), so a later export could give keys the peer cannot use,
   * while the session's keys are the ones that match the peer's.
   */
  #encryptor(dtls: RTCDtlsTransport): SrtpEncryptor | undefined {
    const session = dtls.srtp as SrtpSession | undefined;
    const cached = this.#keys.get(dtls);
    if (cached && cached.session === session) return cached.encryptor;
    const keys = weriftSessionKeys((session as unknown as { config?: WeriftSessionConfig } | undefined)?.config, 'local');
    if (!session || !keys) return undefined;
    const encryptor = new SrtpEncryptor(keys.profile, keys.key, keys.salt);
    this.#keys.set(dtls, { session, encryptor });
    return encryptor;
  }

  #bind(tr: RTCRtpTransceiver, clockRate: number): Bound {
    const sender = tr.sender;
    const midExt = tr.headerExtensions.find((e) => e.uri === RTP_EXTENSION_URI.sdesMid);
    const nack = tr.kind === 'video' && (sender.codec?.rtcpFeedback ?? []).some((f) => f.type === 'nack' && !f.parameter);
    // RTX (RFC 4588) when the negotiated formats keep an rtx format for the codec in use
    // (apt=, RFC 4588 §8.6); werift announces rtxSsrc in an ssrc-group FID.
    const rtxPt = tr.codecs.find((c) => c.mimeType.toLowerCase().endsWith('/rtx') && Number(/apt=(\d+)/.exec(c.parameters ?? '')?.[1]) === sender.codec?.payloadType)?.payloadType;
    const stream = new RtpSendStream({
      ssrc: sender.ssrc, clockRate, midExtensionId: midExt?.id, mid: tr.mid ?? undefined, historySize: nack ? VIDEO_HISTORY : 0,
      rtx: rtxPt !== undefined ? { payloadType: rtxPt, ssrc: sender.rtxSsrc } : undefined,
    });
    const b: Bound = {
      transceiver: tr, stream, dtls: undefined, session: undefined, srtp: undefined, checked: undefined, checkedUntil: 0,
      routed: undefined, keyed: undefined, foldedPackets: 0, foldedBytes: 0,
    };
    this.#bound.set(sender, b);
    this.watch();
    this.#scheduleReports();
    return b;
  }

  #streamOf(ssrc: number): Bound | undefined {
    for (const b of this.#bound.values()) if (b.stream.ssrc === ssrc) return b;
    return undefined;
  }

  /** One RTCP packet from the peer: keyframe requests, NACKs, REMB and reports about our SSRCs. */
  #feedback(dtls: RTCDtlsTransport, p: RtcpPacket): void {
    if (this.#closed) return;
    this.#hooks.rtcp();
    if (p instanceof RtcpPayloadSpecificFeedback) {
      const f = p.feedback as unknown;
      if (f instanceof ReceiverEstimatedMaxBitrate) {
        const ours = f.ssrcFeedbacks.map((s) => this.#streamOf(s)).filter((b): b is Bound => !!b);
        for (const b of ours) b.stream.feedback.remb = Number(f.bitrate);
        if (ours.length) this.#hooks.bandwidth(Number(f.bitrate));
      } else if (f instanceof PictureLossIndication || (isFeedback(f) && f.count === FMT_PLI)) {
        const b = this.#streamOf(Number((f as { mediaSsrc?: unknown }).mediaSsrc));
        if (b) {
          b.stream.feedback.pliCount++;
          mediaCounters.pliReceived++;
          if (b.transceiver.kind === 'video') this.#hooks.keyframe();
        }
      } else if (isFeedback(f) && f.count === FMT_FIR) {
        // RFC 5104 §4.3.1: the FCI entries name the media senders asked for a decoder refresh.
        const entries = (f as { fir?: Array<{ ssrc: number }> }).fir ?? [];
        const asked = entries.map((e) => this.#streamOf(e.ssrc)).filter((b): b is Bound => !!b);
        for (const b of asked) b.stream.feedback.firCount++;
        if (asked.length) mediaCounters.firReceived++;
        if (asked.some((b) => b.transceiver.kind === 'video')) this.#hooks.keyframe();
      }
    } else if (p instanceof RtcpTransportLayerFeedback && p.feedback instanceof GenericNack) {
      const b = this.#streamOf(p.feedback.mediaSourceSsrc);
      if (!b || dtls.state !== 'connected') return;
      b.stream.feedback.nackCount++;
      mediaCounters.nacksReceived++;
      for (const pkt of b.stream.retransmissions(p.feedback.lost, this.#encryptor(dtls))) this.#put(dtls, pkt);
    } else if (p instanceof RtcpRrPacket || p instanceof RtcpSrPacket) {
      for (const r of p.reports) this.#streamOf(r.ssrc)?.stream.receiverReport(r.lsr, r.dlsr);
    }
  }

  /** Packets the sockets refused because their send buffers were full (native fast path only). */
  get sendBufferDrops(): number {
    let n = this.#droppedBefore;
    for (const dtls of this.#pc.dtlsTransports) n += this.#routes.get(dtls)?.dropped ?? 0;
    return n;
  }

  /**
   * One SRTP packet onto the selected candidate pair, through the native fast path when
   * the pair is plain UDP (SelectedPairRoute), else werift's connection, which relays
   * over TURN or frames for ICE-TCP. The transport's counters stay true for getStats.
   * False when the pair has no ICE consent (nothing is sent on any path).
   */
  #put(dtls: RTCDtlsTransport, pkt: Buffer): boolean {
    const route = this.#route(dtls);
    if (!route.consented) return false;
    dtls.bytesSent += pkt.length;
    dtls.packetsSent++;
    mediaCounters.webrtcPacketsSent++;
    mediaCounters.webrtcBytesSent += pkt.length;
    if (!route.send(pkt)) dtls.iceTransport.connection.send(pkt).catch(ignore);
    return true;
  }

  /** The route of a transport's selected pair, made anew when the pair changes. */
  #route(dtls: RTCDtlsTransport): SelectedPairRoute {
    const connection = dtls.iceTransport.connection as unknown as ConnectionLike;
    let route = this.#routes.get(dtls);
    if (!route?.follows(connection)) {
      this.#droppedBefore += route?.dropped ?? 0;
      route = SelectedPairRoute.of(connection);
      this.#routes.set(dtls, route);
    }
    return route;
  }

  #scheduleReports(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#sendReports();
      this.#scheduleReports();
    }, REPORT_INTERVAL_MS * (0.5 + Math.random()));
    this.#timer.unref();
  }

  /**
   * One compound RTCP packet per transport: an SR per active stream, then SDES with
   * their CNAME (RFC 3550 §6.1: every compound packet carries a CNAME).
   */
  #sendReports(): void {
    const byTransport = new Map<RTCDtlsTransport, RtcpSrPacket[]>();
    for (const b of this.#bound.values()) {
      const dtls = b.transceiver.dtlsTransport;
      if (!dtls || dtls.state !== 'connected') continue;
      const sr = b.stream.senderReport(ACTIVE_SENDER_MS);
      if (!sr) continue;
      const list = byTransport.get(dtls) ?? [];
      list.push(sr);
      byTransport.set(dtls, list);
    }
    for (const [dtls, srs] of byTransport) {
      const sdes = new RtcpSourceDescriptionPacket({
        chunks: srs.map((sr) => new SourceDescriptionChunk({ source: sr.ssrc, items: [new SourceDescriptionItem({ type: 1, text: this.#pc.cname })] })),
      });
      const packets = [...srs, sdes];
      if (!this.#sendRtcp(dtls, packets)) dtls.sendRtcp(packets).catch(ignore);
    }
  }

  /**
   * A compound RTCP packet protected with Fluo's SRTCP (keys set once, natively when
   * built) and put on the selected pair as #put does with media, instead of werift's
   * sendRtcp (a cipher and an HMAC object and a promise chain per packet). The index
   * comes from werift's counter for the first packet's SSRC, so the two never reuse
   * one. False when werift's session does not have the shape this relies on: the
   * caller sends through werift then. Nothing goes without ICE consent (RFC 7675).
   */
  #sendRtcp(dtls: RTCDtlsTransport, packets: RtcpPacket[]): boolean {
    const session = dtls.srtcp as unknown as SrtcpSessionInternals | undefined;
    const state = session?.localContext;
    const encryptor = this.#rtcpEncryptor(dtls, session);
    if (!session || !state || typeof state.getSrtcpSsrcState !== 'function' || !encryptor) return false;
    const route = this.#route(dtls);
    if (!route.consented) return true;
    const plain = Buffer.concat(packets.map((p) => p.serialize()));
    const counter = state.getSrtcpSsrcState(plain.readUInt32BE(4));
    if (!counter || typeof counter.srtcpIndex !== 'number') return false;
    // As werift counts: the next index, 0 after the 31-bit field's last (RFC 3711 §3.4).
    counter.srtcpIndex = counter.srtcpIndex >= MAX_SRTCP_INDEX ? 0 : counter.srtcpIndex + 1;
    const pkt = encryptor.protect(plain, counter.srtcpIndex);
    if (!pkt) return true;
    dtls.bytesSent += pkt.length;
    dtls.packetsSent++;
    if (!route.send(pkt)) dtls.iceTransport.connection.send(pkt).catch(ignore);
    return true;
  }

  /** The SRTCP encryptor for the keys werift's current SRTCP session was built with (see #encryptor). */
  #rtcpEncryptor(dtls: RTCDtlsTransport, session: SrtcpSessionInternals | undefined): SrtcpEncryptor | undefined {
    const cached = this.#rtcpKeys.get(dtls);
    if (cached && cached.session === session) return cached.encryptor;
    const keys = weriftSessionKeys(session?.config, 'local');
    if (!session || !keys) return undefined;
    const encryptor = new SrtcpEncryptor(keys.profile, keys.key, keys.salt);
    this.#rtcpKeys.set(dtls, { session, encryptor });
    return encryptor;
  }
}

function isFeedback(f: unknown): f is { count: number } {
  return typeof f === 'object' && f !== null && typeof (f as { count?: unknown }).count === 'number';
}
