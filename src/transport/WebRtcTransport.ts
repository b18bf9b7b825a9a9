import { EventEmitter } from 'node:events';
import {
  RTCPeerConnection, RTCIceCandidate, RtcpPayloadSpecificFeedback, RtcpTransportLayerFeedback,
  ReceiverEstimatedMaxBitrate, PictureLossIndication, GenericNack, RtcpPacketConverter,
  type RtcpPacket, type RTCDtlsTransport, type RTCRtpTransceiver, type RTCDataChannel, type MediaStreamTrack,
} from 'werift';
import { KurentoError, type ErrorType } from '../core/KurentoError.ts';
import { peerConfig } from './peerConfig.ts';
import { withoutTransportCc, withMids, withExternalAddress, ssrcsByMid, payloadOrderByMid } from './sdpTweaks.ts';
import { OutboundRtpStream, WRITTEN_EXTENSIONS } from './OutboundRtpStream.ts';
import { DataChannels } from './DataChannels.ts';
import type {
  WebRtcTransportOptions, WebRtcTransportEvents, IceCandidateInit, IceComponentState, DtlsConnectionState,
  MediaKind, NegotiatedMedia, NegotiatedCodec, Direction, DataChannelOptions,
} from './types.ts';

/** werift ICE connection states as Kurento IceComponentState (KMD elements). */
const ICE_STATE: Record<string, IceComponentState | undefined> = {
  checking: 'CONNECTING', connected: 'CONNECTED', completed: 'READY', failed: 'FAILED', disconnected: 'DISCONNECTED',
};
const DTLS_STATE: Record<string, DtlsConnectionState> = {
  new: 'NEW', connecting: 'CONNECTING', connected: 'CONNECTED', closed: 'CLOSED', failed: 'FAILED',
};
/** RTCP report interval. RFC 3550 §6.2 allows less than 5 s for high-rate sessions; libwebrtc uses 1 s for video. */
const RTCP_INTERVAL_MS = 1000;
/** KMS RembParams.rembOnConnect. */
const DEFAULT_REMB_ON_CONNECT = 300_000;
/** PSFB FMT 4, FIR (RFC 5104 §4.3.1); werift has no exported class for it. */
const FIR_COUNT = 4;

/**
 * One WebRTC peer session for a WebRtcEndpoint: ICE, DTLS-SRTP and SCTP through
 * werift, with raw RTP/RTCP handed to and taken from Fluo's forwarding layer.
 *
 * - Receiving: decrypted RTP per media kind ('rtp'), RTCP ('rtcp'), keyframe requests
 *   and REMB from the peer. werift's receiver sends the RTCP receiver reports and the
 *   NACKs for what we receive.
 * - Sending: `sendRtp` puts the forwarding layer's packet on the wire as it is (the
 *   forwarding layer writes `negotiated[kind].localSsrc` and a negotiated payload
 *   type); extensions are re-stamped for this peer. This transport answers NACKs from
 *   its own history and sends SR every second, plus REMB toward the peer.
 * - No transport-cc is negotiated (see peerConfig.ts).
 *
 * Every failure of the stack surfaces as a KurentoError from the async methods, or as a
 * 'failure' event; nothing rejects unhandled.
 */
export class WebRtcTransport extends EventEmitter<WebRtcTransportEvents> {
  readonly #opts: WebRtcTransportOptions;
  readonly #pc: RTCPeerConnection;
  readonly #cname = `fluo-${Math.random().toString(36).slice(2, 10)}`;
  #sdesCname = this.#cname;
  #closed = false;
  #closing: Promise<void> | undefined;
  #role: 'none' | 'offerer' | 'answerer' = 'none';
  #haveRemote = false;
  #remoteSsrcs = new Map<string, number[]>();
  readonly #learnedSsrcs = new Map<MediaKind, Set<number>>();
  readonly #pendingRemote: IceCandidateInit[] = [];
  // Local candidates are held back until gatherCandidates(), as KMS does (conformance f).
  #gatherRequested = false;
  #gatheringComplete = false;
  #gatheringDoneSent = false;
  readonly #localCandidates: IceCandidateInit[] = [];
  #iceState: IceComponentState | undefined;
  #pairSent = false;
  #connected = false;
  readonly #watchedDtls = new Set<RTCDtlsTransport>();
  #dtls: RTCDtlsTransport | undefined;
  readonly #out = new Map<MediaKind, OutboundRtpStream>();
  #rtcpTimer: NodeJS.Timeout | undefined;
  #rembBps: number;
  readonly #channels: DataChannels;
  /** Time of the SDP step that started the session, for the offer→DTLS figure. */
  #negotiationStart = 0;
  /** ms from processOffer/processAnswer to DTLS connected; undefined until connected. */
  dtlsConnectedAfterMs: number | undefined;

  constructor(options: WebRtcTransportOptions = {}) {
    super();
    this.#opts = options;
    this.#rembBps = options.rembOnConnectBps ?? DEFAULT_REMB_ON_CONNECT;
    this.#pc = new RTCPeerConnection(peerConfig(options));
    this.#channels = new DataChannels(this.#pc, options.useDataChannels === true, {
      opened: (id, label) => this.#emit('dataChannelOpened', id, label),
      closed: (id) => this.#emit('dataChannelClosed', id),
      message: (id, data) => this.#emit('dataChannelMessage', id, data),
    });
    this.#wire();
  }

  /** Emits only while open: after close() nothing more reaches the element. */
  #emit<K extends keyof WebRtcTransportEvents>(name: K, ...args: WebRtcTransportEvents[K]): void {
    if (this.#closed) return;
    try {
      (this.emit as (n: K, ...a: WebRtcTransportEvents[K]) => boolean)(name, ...args);
    } catch (err) {
      // A listener's bug must not unwind into werift's packet loop.
      if (name !== 'failure') this.#emit('failure', err as Error);
    }
  }

  #wire(): void {
    const pc = this.#pc;
    pc.onIceCandidate.subscribe((c) => this.#onLocalCandidate(c));
    pc.iceGatheringStateChange.subscribe((s) => {
      if (s === 'gathering') this.#setIceState('GATHERING');
    });
    pc.iceConnectionStateChange.subscribe((s) => {
      const k = ICE_STATE[s];
      if (k === 'READY' || k === 'CONNECTED') {
        // werift can report 'connected' before 'checking'; Kurento's order is
        // CONNECTING -> CONNECTED -> READY (conformance notes f), so keep it.
        if (this.#iceState !== 'CONNECTING' && this.#iceState !== 'CONNECTED' && this.#iceState !== 'READY') this.#setIceState('CONNECTING');
        this.#setIceState('CONNECTED');
        this.#checkNominated();
      } else if (k === 'CONNECTING' && (this.#iceState === 'CONNECTED' || this.#iceState === 'READY')) {
        // A late 'checking' from werift after the pair is up: not a state change.
      } else if (k) this.#setIceState(k);
    });
    pc.connectionStateChange.subscribe((s) => {
      if (s === 'connected' && !this.#connected) {
        this.#connected = true;
        this.#emit('connectionState', 'CONNECTED');
      } else if ((s === 'disconnected' || s === 'failed' || s === 'closed') && this.#connected) {
        this.#connected = false;
        this.#emit('connectionState', 'DISCONNECTED');
      }
    });
    pc.onTrack.subscribe((track) => this.#onTrack(track));
  }

  // ---- SDP ----------------------------------------------------------------------

  /** Answers a remote offer; returns the local answer SDP. */
  async processOffer(sdp: string): Promise<string> {
    this.#assertOpen('SDP_END_POINT_PROCESS_OFFER_ERROR');
    if (this.#role !== 'none') throw new KurentoError('SDP_END_POINT_ALREADY_NEGOTIATED', 'The SDP negotiation already happened');
    this.#role = 'answerer';
    this.#negotiationStart = performance.now();
    const offer = withMids(sdp);
    return this.#guard('SDP_END_POINT_PROCESS_OFFER_ERROR', 'Cannot process the SDP offer', async () => {
      assertHasMedia(offer);
      await this.#pc.setRemoteDescription({ type: 'offer', sdp: offer });
      this.#haveRemote = true;
      this.#remoteSsrcs = ssrcsByMid(offer);
      const order = payloadOrderByMid(offer);
      const remoteMedia = this.#pc.remoteDescription ? parseDirections(offer) : new Map<string, Direction>();
      for (const t of this.#pc.getTransceivers()) {
        const mid = t.mid ?? '';
        // Answer in the offerer's order of preference (RFC 3264 §6.1), as KMS does.
        const pts = order.get(mid) ?? [];
        if (pts.length && t.codecs.length > 1) {
          const rank = (pt: number): number => { const i = pts.indexOf(pt); return i < 0 ? pts.length : i; };
          t.setCodecPreferences([...t.codecs].sort((x, y) => rank(x.payloadType) - rank(y.payloadType)));
        }
        t.setDirection(this.#answerDirection(remoteMedia.get(mid) ?? 'sendrecv'));
        this.#announceStream(t);
      }
      const answer = await this.#pc.createAnswer();
      await this.#pc.setLocalDescription({ type: 'answer', sdp: withoutTransportCc(answer.sdp) });
      this.#afterNegotiation();
      await this.#flushRemoteCandidates();
      return this.#localSdp();
    });
  }

  /** Creates the local offer (KMS generateOffer). */
  async generateOffer(opts: { offerToReceiveAudio?: boolean; offerToReceiveVideo?: boolean } = {}): Promise<string> {
    this.#assertOpen('SDP_END_POINT_GENERATE_OFFER_ERROR');
    if (this.#role !== 'none') throw new KurentoError('SDP_END_POINT_ALREADY_NEGOTIATED', 'The SDP negotiation already happened');
    this.#role = 'offerer';
    return this.#guard('SDP_END_POINT_GENERATE_OFFER_ERROR', 'Cannot generate an SDP offer', async () => {
      const o = this.#opts;
      const dir: Direction = o.recvonly ? 'recvonly' : o.sendonly ? 'sendonly' : 'sendrecv';
      // offerToReceive* = false drops the m-line only when we would not send on it either.
      if (opts.offerToReceiveAudio !== false || dir === 'sendonly' || dir === 'sendrecv') this.#pc.addTransceiver('audio', { direction: opts.offerToReceiveAudio === false && dir === 'sendrecv' ? 'sendonly' : dir });
      if (opts.offerToReceiveVideo !== false || dir === 'sendonly' || dir === 'sendrecv') this.#pc.addTransceiver('video', { direction: opts.offerToReceiveVideo === false && dir === 'sendrecv' ? 'sendonly' : dir });
      for (const t of this.#pc.getTransceivers()) this.#announceStream(t);
      if (o.useDataChannels) this.#channels.ensureSctp();
      const offer = await this.#pc.createOffer();
      await this.#pc.setLocalDescription({ type: 'offer', sdp: withoutTransportCc(offer.sdp) });
      this.#afterNegotiation();
      return this.#localSdp();
    });
  }

  /** Applies the remote answer to our offer; returns the local SDP. */
  async processAnswer(sdp: string): Promise<string> {
    this.#assertOpen('SDP_END_POINT_PROCESS_ANSWER_ERROR');
    if (this.#role !== 'offerer') throw new KurentoError('SDP_END_POINT_NOT_OFFER_GENERATED', 'processAnswer without a generated offer');
    if (this.#haveRemote) throw new KurentoError('SDP_END_POINT_ANSWER_ALREADY_PROCCESED', 'The answer was already processed');
    this.#negotiationStart = performance.now();
    return this.#guard('SDP_END_POINT_PROCESS_ANSWER_ERROR', 'Cannot process the SDP answer', async () => {
      assertHasMedia(sdp);
      await this.#pc.setRemoteDescription({ type: 'answer', sdp });
      this.#haveRemote = true;
      this.#remoteSsrcs = ssrcsByMid(sdp);
      this.#afterNegotiation();
      await this.#flushRemoteCandidates();
      return this.#localSdp();
    });
  }

  /** The local SDP as the peer should see it (external address applied). */
  get localDescription(): string | undefined {
    const d = this.#pc.localDescription?.sdp;
    return d === undefined ? undefined : this.#external(d);
  }

  get remoteDescription(): string | undefined {
    return this.#pc.remoteDescription?.sdp;
  }

  #localSdp(): string {
    const d = this.localDescription;
    if (!d) throw new Error('werift produced no local description');
    return d;
  }

  /**
   * Gives the sender a media stream id so that werift writes `a=msid` (RFC 8830).
   * Without it libwebrtc reads the media and RTX `a=ssrc` lines as two tracks and
   * refuses the SDP ("more than one track specified with a=ssrc lines").
   */
  #announceStream(t: RTCRtpTransceiver): void {
    if (!t.sender.streamId) t.sender.streamId = this.#cname;
  }

  #answerDirection(remote: Direction): Direction {
    // The complement of the offered direction (RFC 3264 §6.1), narrowed by our own mode.
    let dir: Direction = remote === 'sendonly' ? 'recvonly' : remote === 'recvonly' ? 'sendonly' : remote === 'inactive' ? 'inactive' : 'sendrecv';
    if (this.#opts.recvonly) dir = dir === 'sendrecv' || dir === 'recvonly' ? 'recvonly' : 'inactive';
    if (this.#opts.sendonly) dir = dir === 'sendrecv' || dir === 'sendonly' ? 'sendonly' : 'inactive';
    return dir;
  }

  async #guard<T>(type: ErrorType, what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof KurentoError) throw err;
      throw new KurentoError(type, `${what}: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  #assertOpen(type: ErrorType): void {
    if (this.#closed) throw new KurentoError(type, 'The WebRTC transport is closed');
  }

  /** Binds what exists once both descriptions (or the local offer) are set. */
  #afterNegotiation(): void {
    for (const t of this.#pc.dtlsTransports) this.#watchDtls(t);
    this.#channels.bind();
    this.#buildOutbound();
  }

  #buildOutbound(): void {
    // SDES CNAME in our SRs must be the one werift put in the SDP (RFC 3550 §6.5.1).
    const cname = /^a=ssrc:\d+ cname:(\S+)/m.exec(this.#pc.localDescription?.sdp ?? '')?.[1];
    if (cname) this.#sdesCname = cname;
    for (const t of this.#pc.getTransceivers()) {
      const kind = t.kind as MediaKind;
      if (this.#out.has(kind)) continue;
      const codec = t.codecs.find((c) => !/\/(rtx|red|ulpfec)$/i.test(c.mimeType));
      const idOf = (uri: string): number | undefined => t.headerExtensions.find((e) => e.uri === uri)?.id;
      this.#out.set(kind, new OutboundRtpStream(t.sender.ssrc, codec?.clockRate ?? (kind === 'audio' ? 48000 : 90000), {
        mid: t.mid ?? '', midId: idOf(WRITTEN_EXTENSIONS.mid), absSendTimeId: idOf(WRITTEN_EXTENSIONS.absSendTime),
      }));
    }
  }

  /** What was negotiated per media kind (undefined for a kind not in the session). */
  get negotiated(): { audio?: NegotiatedMedia; video?: NegotiatedMedia } {
    const out: { audio?: NegotiatedMedia; video?: NegotiatedMedia } = {};
    for (const t of this.#pc.getTransceivers()) {
      const kind = t.kind as MediaKind;
      if (out[kind] || t.mid === null) continue;
      out[kind] = this.#describe(t, kind);
    }
    return out;
  }

  #describe(t: RTCRtpTransceiver, kind: MediaKind): NegotiatedMedia {
    const codecs: NegotiatedCodec[] = [];
    for (const c of t.codecs) {
      const name = c.mimeType.split('/')[1] ?? c.mimeType;
      if (/^rtx$/i.test(name)) continue;
      const rtx = t.codecs.find((r) => /\/rtx$/i.test(r.mimeType) && new RegExp(`(^|;)\\s*apt=${c.payloadType}(;|$)`).test(r.parameters ?? ''));
      codecs.push({
        name, payloadType: c.payloadType, clockRate: c.clockRate,
        ...(c.channels ? { channels: c.channels } : {}),
        ...(c.parameters ? { fmtp: c.parameters } : {}),
        ...(rtx ? { rtxPayloadType: rtx.payloadType } : {}),
        rtcpFeedback: c.rtcpFeedback.map((f) => (f.parameter ? `${f.type} ${f.parameter}` : f.type)),
      });
    }
    const remote = new Set(this.#remoteSsrcs.get(t.mid ?? '') ?? []);
    for (const s of this.#learnedSsrcs.get(kind) ?? []) remote.add(s);
    return {
      mid: t.mid ?? '',
      direction: (t.currentDirection ?? t.direction) as Direction,
      codecs,
      headerExtensions: t.headerExtensions.map((e) => ({ id: e.id, uri: e.uri })),
      localSsrc: t.sender.ssrc,
      remoteSsrcs: [...remote],
    };
  }

  // ---- ICE ----------------------------------------------------------------------

  /** Starts reporting local candidates: 'iceCandidate' each, then one 'iceGatheringDone'. */
  gatherCandidates(): void {
    if (this.#closed || this.#gatherRequested) return;
    this.#gatherRequested = true;
    if (!this.#iceState) this.#setIceState('GATHERING');
    for (const c of this.#localCandidates.splice(0)) this.#emit('iceCandidate', c);
    this.#maybeGatheringDone();
  }

  #onLocalCandidate(c: RTCIceCandidate | undefined): void {
    if (!c) {
      this.#gatheringComplete = true;
      this.#maybeGatheringDone();
      return;
    }
    const j = c.toJSON();
    const cand: IceCandidateInit = { candidate: this.#external(j.candidate ?? ''), sdpMid: j.sdpMid ?? '0', sdpMLineIndex: j.sdpMLineIndex ?? 0 };
    if (this.#gatherRequested) this.#emit('iceCandidate', cand);
    else this.#localCandidates.push(cand);
  }

  #maybeGatheringDone(): void {
    if (this.#gatherRequested && this.#gatheringComplete && !this.#gatheringDoneSent) {
      this.#gatheringDoneSent = true;
      this.#emit('iceGatheringDone');
    }
  }

  #external(text: string): string {
    let t = text;
    if (this.#opts.externalIPv4) t = withExternalAddress(t, 4, this.#opts.externalIPv4);
    if (this.#opts.externalIPv6) t = withExternalAddress(t, 6, this.#opts.externalIPv6);
    return t;
  }

  /**
   * Adds a remote candidate. An empty candidate is end-of-candidates (RFC 8838 §8.2)
   * and is ignored; before the remote SDP candidates are queued (the Kurento tutorials
   * send the browser's candidates first).
   */
  async addIceCandidate(c: IceCandidateInit): Promise<void> {
    this.#assertOpen('ICE_ADD_CANDIDATE_ERROR');
    const text = (c.candidate ?? '').trim().replace(/^a=/, '');
    if (text === '' || text === 'end-of-candidates') return;
    if (!/^candidate:\S+ \d+ (udp|tcp) \d+ \S+ \d+ typ \w+/i.test(text)) {
      throw new KurentoError('ICE_ADD_CANDIDATE_ERROR', `Malformed ICE candidate '${text.slice(0, 200)}'`);
    }
    const cand = { candidate: text, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex };
    if (!this.#haveRemote) {
      this.#pendingRemote.push(cand);
      return;
    }
    await this.#addRemote(cand);
  }

  async #addRemote(c: IceCandidateInit): Promise<void> {
    // With BUNDLE one ICE transport serves every m-line; a candidate for a mid werift
    // does not know (e.g. an m-line it rejected) still belongs to that transport.
    const mids = this.#pc.getTransceivers().map((t) => t.mid).filter((m): m is string => m !== null);
    const sctpMid = this.#pc.sctpTransport?.mid;
    if (sctpMid) mids.push(sctpMid);
    const sdpMid = c.sdpMid !== undefined && mids.includes(c.sdpMid) ? c.sdpMid : mids[0];
    try {
      await this.#pc.addIceCandidate(new RTCIceCandidate({ candidate: c.candidate, sdpMid, sdpMLineIndex: sdpMid === c.sdpMid ? c.sdpMLineIndex : undefined }));
    } catch (err) {
      throw new KurentoError('ICE_ADD_CANDIDATE_ERROR', `Cannot add ICE candidate: ${(err as Error)?.message ?? String(err)}`);
    }
  }

  async #flushRemoteCandidates(): Promise<void> {
    for (const c of this.#pendingRemote.splice(0)) {
      await this.#addRemote(c).catch((err: Error) => this.#emit('failure', err));
    }
  }

  #setIceState(s: IceComponentState): void {
    if (this.#iceState === s) return;
    this.#iceState = s;
    this.#emit('iceComponentState', s);
  }

  /** libnice's READY: ICE concluded with a nominated pair (Kurento NewCandidatePairSelected). */
  #checkNominated(): void {
    if (this.#pairSent) return;
    const pair = this.#pc.iceTransports[0]?.connection.nominated;
    if (!pair) return;
    this.#pairSent = true;
    this.#emit('candidatePairSelected', {
      localCandidate: this.#external(`candidate:${pair.localCandidate.toSdp()}`),
      remoteCandidate: `candidate:${pair.remoteCandidate.toSdp()}`,
    });
    this.#setIceState('READY');
  }

  // ---- DTLS and RTCP ------------------------------------------------------------

  #watchDtls(t: RTCDtlsTransport): void {
    if (this.#watchedDtls.has(t)) return;
    this.#watchedDtls.add(t);
    this.#dtls ??= t;
    this.#emit('dtlsState', DTLS_STATE[t.state] ?? 'NEW');
    t.onStateChange.subscribe((s) => {
      this.#emit('dtlsState', DTLS_STATE[s] ?? 'FAILED');
      if (s === 'connected') this.#onDtlsConnected();
    });
    t.onRtcp.subscribe((p) => this.#onRtcp(p));
  }

  #onDtlsConnected(): void {
    if (this.#closed) return;
    if (this.dtlsConnectedAfterMs === undefined && this.#negotiationStart) this.dtlsConnectedAfterMs = performance.now() - this.#negotiationStart;
    this.#checkNominated();
    if (!this.#rtcpTimer) {
      this.#rtcpTimer = setInterval(() => this.#rtcpTick(), RTCP_INTERVAL_MS);
      this.#rtcpTimer.unref();
      this.#rtcpTick();
    }
  }

  /** SR for each stream we send, and REMB for the video we receive. */
  #rtcpTick(): void {
    const dtls = this.#dtls;
    if (this.#closed || !dtls || dtls.state !== 'connected') return;
    // One compound per SSRC (SR first, RFC 3550 §6.1): libwebrtc reads one SR per compound.
    const compounds: RtcpPacket[][] = [];
    for (const s of this.#out.values()) {
      const sr = s.senderReport(this.#sdesCname);
      if (sr.length) compounds.push(sr);
    }
    const remb = this.#rembPacket(this.#rembBps);
    if (remb) compounds.push([remb]);
    for (const c of compounds) dtls.sendRtcp(c).catch((err: Error) => this.#emit('failure', err));
  }

  #rembPacket(bps: number): RtcpPacket | undefined {
    const ssrcs = this.#remoteVideoSsrcs();
    if (!ssrcs.length || this.#opts.sendonly) return undefined;
    // draft-alvestrand-rmcat-remb §2: sender SSRC ours, media SSRC 0, SSRCs fed back.
    const remb = new ReceiverEstimatedMaxBitrate({
      senderSsrc: this.#out.get('video')?.ssrc ?? 1, mediaSsrc: 0, bitrate: BigInt(Math.max(0, Math.round(bps))), ssrcFeedbacks: ssrcs,
    });
    return new RtcpPayloadSpecificFeedback({ feedback: remb });
  }

  #remoteVideoSsrcs(): number[] {
    const learned = this.#learnedSsrcs.get('video');
    if (learned?.size) return [...learned];
    const t = this.#pc.getTransceivers().find((x) => x.kind === 'video');
    return t ? (this.#remoteSsrcs.get(t.mid ?? '') ?? []).slice(0, 1) : [];
  }

  #kindOfLocalSsrc(ssrc: number): MediaKind | undefined {
    for (const [kind, s] of this.#out) if (s.ssrc === ssrc) return kind;
    return undefined;
  }

  #onRtcp(p: RtcpPacket): void {
    if (this.#closed) return;
    if (p instanceof RtcpTransportLayerFeedback && p.feedback instanceof GenericNack) {
      const kind = this.#kindOfLocalSsrc(p.feedback.mediaSourceSsrc);
      const stream = kind && this.#out.get(kind);
      if (stream && this.#dtls) stream.retransmit(this.#dtls, p.feedback.lost);
    } else if (p instanceof RtcpPayloadSpecificFeedback) {
      const fb = p.feedback;
      if (fb instanceof ReceiverEstimatedMaxBitrate) this.#emit('remb', Number(fb.bitrate));
      else if (fb instanceof PictureLossIndication) {
        const kind = this.#kindOfLocalSsrc(fb.mediaSsrc);
        if (kind) this.#emit('keyframeRequested', kind);
      } else if ((fb as { count?: number }).count === FIR_COUNT) this.#emit('keyframeRequested', 'video');
    }
    if (this.listenerCount('rtcp') > 0) {
      try {
        this.#emit('rtcp', p.serialize());
      } catch (err) {
        this.#emit('failure', err as Error);
      }
    }
  }

  // ---- media --------------------------------------------------------------------

  #onTrack(track: MediaStreamTrack): void {
    const kind = track.kind as MediaKind;
    track.onReceiveRtp.subscribe((rtp) => {
      if (this.#closed) return;
      let set = this.#learnedSsrcs.get(kind);
      if (!set) this.#learnedSsrcs.set(kind, (set = new Set()));
      if (!set.has(rtp.header.ssrc)) set.add(rtp.header.ssrc);
      if (this.listenerCount('rtp') > 0) this.#emit('rtp', kind, rtp.serialize());
    });
  }

  /**
   * Sends one RTP packet of `kind`. The packet must already carry this peer's SSRC
   * (`negotiated[kind].localSsrc`) and a negotiated payload type. The buffer is kept
   * for retransmission: do not reuse it. Dropped silently before DTLS is up.
   */
  sendRtp(kind: MediaKind, packet: Buffer): void {
    const dtls = this.#dtls;
    if (this.#closed || !dtls || dtls.state !== 'connected') return;
    const out = this.#out.get(kind);
    if (!out) return;
    try {
      out.send(dtls, packet);
    } catch (err) {
      this.#emit('failure', err as Error);
    }
  }

  /** Sends a (compound) RTCP packet as it is, SRTCP-protected. */
  sendRtcp(packet: Buffer): void {
    const dtls = this.#dtls;
    if (this.#closed || !dtls || dtls.state !== 'connected') return;
    try {
      // Parse first so a malformed buffer fails here, not at the peer.
      const packets = RtcpPacketConverter.deSerialize(packet);
      dtls.sendRtcp(packets).catch((err: Error) => this.#emit('failure', err));
    } catch (err) {
      this.#emit('failure', err as Error);
    }
  }

  /** PLI (RFC 4585 §6.3.1) to every video SSRC the peer sends. */
  requestKeyframe(): void {
    const dtls = this.#dtls;
    if (this.#closed || !dtls || dtls.state !== 'connected') return;
    // Sent by us, not by werift's receiver.sendRtcpPLI: one sender SSRC for all our RTCP.
    const senderSsrc = this.#out.get('video')?.ssrc ?? 1;
    const plis = this.#remoteVideoSsrcs().map((mediaSsrc) => new RtcpPayloadSpecificFeedback({ feedback: new PictureLossIndication({ senderSsrc, mediaSsrc }) }));
    if (plis.length) dtls.sendRtcp(plis).catch((err: Error) => this.#emit('failure', err));
  }

  /** REMB to the peer now, repeated every second until the next call. */
  sendRemb(bitrateBps: number): void {
    if (this.#closed) return;
    this.#rembBps = bitrateBps;
    const p = this.#rembPacket(bitrateBps);
    if (p && this.#dtls?.state === 'connected') this.#dtls.sendRtcp([p]).catch((err: Error) => this.#emit('failure', err));
  }

  // ---- data channels ------------------------------------------------------------

  /** Opens a data channel; resolves with its SCTP stream id once open (RFC 8832). */
  createDataChannel(label: string, opts: DataChannelOptions = {}): Promise<number> {
    this.#assertOpen('MEDIA_OBJECT_OPERATION_NOT_SUPPORTED');
    return this.#channels.create(label, opts);
  }

  closeDataChannel(id: number): void {
    this.#channels.close(id);
  }

  sendData(id: number, data: string | Buffer): void {
    if (!this.#closed) this.#channels.send(id, data);
  }

  /** The RTCDataChannel objects, for stats only. */
  get dataChannels(): ReadonlyMap<number, RTCDataChannel> {
    return this.#channels.all;
  }

  // ---- lifetime -----------------------------------------------------------------

  get closed(): boolean {
    return this.#closed;
  }

  /** Frees sockets, timers and SCTP; idempotent, and safe mid-media. */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    this.#closed = true;
    if (this.#rtcpTimer) clearInterval(this.#rtcpTimer);
    this.#rtcpTimer = undefined;
    this.#channels.closeAll();
    this.#closing = this.#pc.close().catch(() => undefined).then(() => {
      this.removeAllListeners();
    });
    return this.#closing;
  }

  /** The werift peer connection, for stats (getStats) only. */
  get peerConnection(): RTCPeerConnection {
    return this.#pc;
  }
}

/** werift accepts an SDP without any m-line and answers it with nothing; Kurento does not. */
function assertHasMedia(sdp: string): void {
  if (!/^v=0\r?$/m.test(sdp) || !/^m=(audio|video|application) /m.test(sdp)) throw new Error('no v=0 line or no media section');
}

/** a=sendrecv|sendonly|recvonly|inactive per mid (default sendrecv, RFC 3264 §5.1). */
function parseDirections(sdp: string): Map<string, Direction> {
  const out = new Map<string, Direction>();
  for (const sec of sdp.split(/(?=^m=)/m).slice(1)) {
    const mid = /^a=mid:(\S+)/m.exec(sec)?.[1];
    const dir = /^a=(sendrecv|sendonly|recvonly|inactive)\s*$/m.exec(sec)?.[1] as Direction | undefined;
    // A port of 0 rejects the m-line (RFC 3264 §6).
    if (mid !== undefined) out.set(mid, /^m=\S+ 0 /.test(sec) ? 'inactive' : dir ?? 'sendrecv');
  }
  return out;
}

