import {
  RTCPeerConnection, RtcpPayloadSpecificFeedback, ReceiverEstimatedMaxBitrate, RTCIceCandidate,
  type RTCRtpTransceiver, type MediaStreamTrack,
} from 'werift';
import { KurentoError } from '../../shared/KurentoError.ts';
import type { MediaNode, EmitFn, FormatSet } from '../graph/MediaNode.ts';
import type { Edge } from '../graph/Edge.ts';
import { SdpEndpointNode } from '../sdp/SdpEndpointNode.ts';
import type { DataMessage, MediaPacket, RtpCodecInfo } from '../graph/MediaPacket.ts';
import { peerConfig, iceConfig, type IceSettings } from './webrtcConfig.ts';
import { withoutCandidates, withoutTransportCc, withMids, withStreamMsid } from './sdpMunging.ts';
import { withoutUnacceptableH264 } from '../graph/h264.ts';
import { acceptOfferedH264, answerLikeTheOffer } from './answerPolicy.ts';
import { FlowMonitor } from '../graph/FlowMonitor.ts';
import { webrtcStats } from './webrtcStats.ts';
import { ForwardingSender, type SendLane } from '../rtp/ForwardingSender.ts';
import { deleteTurnAllocations } from './turnAllocations.ts';
import { guardFinishedHandshake } from './dtlsGuard.ts';
import { DataChannels } from './DataChannels.ts';
import { renumberRetransmissions } from './dtlsRetransmission.ts';
import { configuredCertificate } from './dtlsCertificate.ts';
import { startClientNow } from './dtlsClientStart.ts';
import { badIceCredentials, offerWithCredentials } from '../../shared/iceRestart.ts';
import { sharedPort } from './sharedPort/installSharedPort.ts';
import { enlargeIceReceiveBuffers } from '../rtp/receiveBuffers.ts';
import { IceGuard } from './IceGuard.ts';
import { DtlsTransportKeeper } from './DtlsTransportKeeper.ts';
import { CandidatePolicy } from './CandidatePolicy.ts';
import { BandwidthPolicy } from '../rtp/BandwidthPolicy.ts';
import { REMB_UPDATE_MS, type RembParams } from '../rtp/RembEstimator.ts';
import type { IceCandidateArgs, MediaEvents, MediaKind, NodeOpHandlers, OfferOptions, Wire, WebRtcEndpointOptions } from '../../shared/workerProtocol.ts';
import { withoutDefaultStun } from './noDefaultStun.ts';

type Kind = 'AUDIO' | 'VIDEO';

/** The sending side of one media type, as `deliver` uses it (see WebRtcEndpointNode.#videoLane). */
interface OutLane {
  readonly transceiver: RTCRtpTransceiver;
  readonly payloadType: number;
  readonly clockRate: number;
  readonly ours: RtpCodecInfo;
  /** The sender's lane, taken at the first packet (an endpoint that never sends keeps no send state). */
  send: SendLane | undefined;
}

/** Kurento IceComponentState names for werift's ICE connection states. */
const ICE_STATE: Record<string, string> = {
  new: 'GATHERING', checking: 'CONNECTING', connected: 'CONNECTED', completed: 'READY',
  failed: 'FAILED', disconnected: 'DISCONNECTED', closed: 'DISCONNECTED',
};

/**
 * The media side of a WebRtcEndpoint: one werift RTCPeerConnection (ICE, DTLS-SRTP,
 * SCTP) whose decrypted RTP goes to the sinks. What the source sends goes out through
 * ForwardingSender (one copy, header rewrite and SRTP per packet, bypassing werift's
 * RTP sender), with SSRC/sequence/timestamp continuity across source switches, NACK
 * answers and sender reports. Candidates are reported only after `gatherCandidates`,
 * as Kurento does.
 */
export class WebRtcEndpointNode extends SdpEndpointNode {
  readonly #pc: RTCPeerConnection;
  readonly #opts: WebRtcEndpointOptions;
  #ice: IceSettings;
  #gatherRequested = false;
  #gatheringDone = false;
  #gatherDoneSent = false;
  readonly #pendingCandidates: Array<MediaEvents['IceCandidateFound']['candidate']> = [];
  readonly #remoteCandidates: Array<{ candidate: string; sdpMid?: string; sdpMLineIndex?: number }> = [];
  #haveRemote = false;
  #connected = false;
  #mediaConnected = false;
  readonly #flow: FlowMonitor;
  readonly #inCodec = new Map<number, RtpCodecInfo>();
  readonly #out: ForwardingSender;
  readonly #guard: IceGuard;
  readonly #enlarged = new WeakSet<object>();
  #announce: CandidatePolicy;
  /**
   * Per media type, what `deliver` needs of the transceiver that sends it (null: none
   * sends). Read for every packet to every sink, so kept instead of searched; cleared
   * whenever an SDP changes the transceivers.
   */
  #audioLane: OutLane | null | undefined;
  #videoLane: OutLane | null | undefined;
  readonly #channels: DataChannels;
  readonly #bw = new BandwidthPolicy();
  /** The last REMB sent to the peer, for getStats (KMS's inbound `remb`). */
  #rembSent: { ssrc: number; bps: number } | undefined;
  /** MediaStream id of everything this endpoint sends (one stream: lip sync across audio and video). */
  readonly #streamId = `fluo-${Math.random().toString(36).slice(2, 12)}`;
  #rembTimer: NodeJS.Timeout | undefined;
  /** The candidate pair last announced in NewCandidatePairSelected. */
  #selectedPair: object | undefined;
  readonly #transports: DtlsTransportKeeper;
  /** Armed by an SDP step: ICE must connect before it fires (#abandon). */
  #iceDeadline: NodeJS.Timeout | undefined;
  #abandoned = false;

  constructor(id: string, emit: EmitFn, options: WebRtcEndpointOptions) {
    super(id, emit, 'WebRtcEndpoint');
    this.#opts = { ...options, ice: options.ice ?? {} };
    this.#ice = this.#opts.ice;
    this.readySince = Infinity; // until the peer is connected
    this.#pc = new RTCPeerConnection({
      ...peerConfig(this.#ice, { min: Number(this.#opts.minPort) || undefined, max: Number(this.#opts.maxPort) || undefined, shared: sharedPort()?.port }),
      ...configuredCertificate(this.#opts),
    });
    withoutDefaultStun(this.#pc);
    sharedPort()?.addPeer(this.#pc);
    this.#transports = new DtlsTransportKeeper(this.#pc);
    this.#out = new ForwardingSender(this.#pc, {
      keyframe: () => this.input('VIDEO')?.requestKeyframe(this),
      bandwidth: (bps) => {
        this.#bw.peerRemb(bps);
        this.#reportUpstream();
      },
      rtcp: () => this.#markMedia(),
    });
    this.#guard = new IceGuard(this.#pc);
    this.#channels = new DataChannels({
      emit: (name, data) => this.emit(name, data),
      message: (msg) => {
        this.#flow.packet('in', 'DATA');
        this.forwardData(msg);
      },
    });
    this.#announce = new CandidatePolicy(this.#ice);
    this.#flow = FlowMonitor.reporting(this.emit);
    this.#wire();
  }

  #wire(): void {
    const pc = this.#pc;
    pc.onIceCandidate.subscribe((c) => {
      // A candidate means a socket: put the guard in front of it before a peer can reach it.
      this.#guard.attach();
      enlargeIceReceiveBuffers(pc, this.#enlarged);
      if (!c) {
        this.#gatheringDone = true;
        this.#maybeGatheringDone();
        return;
      }
      const j = c.toJSON();
      const line = j.candidate ? this.#announce.announce(j.candidate) : j.candidate;
      if (line === undefined) return; // not on the configured networkInterfaces
      const cand = { candidate: line, sdpMid: j.sdpMid ?? '0', sdpMLineIndex: j.sdpMLineIndex ?? 0 };
      if (this.#gatherRequested) this.emit('IceCandidateFound', { candidate: cand });
      else this.#pendingCandidates.push(cand);
    });
    pc.iceConnectionStateChange.subscribe((s) => {
      // The selected pair first: Kurento's CONNECTED "happens right after the event
      // NewCandidatePairSelected" (libnice's new-selected-pair, then component-state).
      if (s === 'connected' || s === 'completed') this.#pairSelected();
      this.emit('IceComponentStateChanged', { streamId: 1, componentId: 1, state: ICE_STATE[s] ?? 'DISCONNECTED' });
    });
    pc.connectionStateChange.subscribe((s) => {
      if (s === 'connected' && !this.#connected) {
        this.#connected = true;
        this.emit('ConnectionStateChanged', { oldState: 'DISCONNECTED', newState: 'CONNECTED' });
        this.emit('MediaSessionStarted', {});
        this.#startRemb();
        // Packets forwarded before DTLS was up were dropped: ask the source for a fresh
        // keyframe so this peer's decoder can start at once.
        this.readySince = performance.now();
        this.input('VIDEO')?.requestKeyframe(this);
      } else if ((s === 'disconnected' || s === 'failed' || s === 'closed') && this.#connected) {
        this.#connected = false;
        this.readySince = Infinity;
        this.emit('ConnectionStateChanged', { oldState: 'CONNECTED', newState: 'DISCONNECTED' });
        if (this.#mediaConnected) {
          this.#mediaConnected = false;
          this.emit('MediaStateChanged', { oldState: 'CONNECTED', newState: 'DISCONNECTED' });
        }
        this.emit('MediaSessionTerminated', {});
      }
    });
    pc.onTrack.subscribe((track) => this.#onTrack(track));
    pc.onDataChannel.subscribe((ch) => this.#channels.add(ch));
  }

  readonly #watchedDtls = new WeakSet<object>();

  #watchDtls(): void {
    for (const t of this.#pc.dtlsTransports) {
      if (this.#watchedDtls.has(t)) continue;
      this.#watchedDtls.add(t);
      const report = (state: string): void => {
        // werift makes its DTLS socket right after announcing 'connecting' (and would
        // send its first flight 100 ms later): the next microtask finds the socket
        // before any flight, and the client's first flight leaves then. The guard goes
        // on then too: it acts from the moment the socket holds the peer's Finished,
        // which is before the transport reports 'connected'.
        if (state === 'connecting') queueMicrotask(() => { renumberRetransmissions(t); guardFinishedHandshake(t); startClientNow(t); });
        if (state === 'connected') guardFinishedHandshake(t);
        this.emit('DtlsConnectionStateChange', { streamId: '1', componentId: '1', connectionId: this.id, state: state.toUpperCase() });
      };
      report(t.state);
      t.onStateChange.subscribe((s) => report(s));
    }
  }

  /** NewCandidatePairSelected, once per pair selected (not again when ICE goes on from connected to completed). */
  #pairSelected(): void {
    const conn = this.#pc.iceTransports[0]?.connection;
    const pair = conn?.nominated;
    if (!pair || pair === this.#selectedPair) return;
    this.#selectedPair = pair;
    this.emit('NewCandidatePairSelected', {
      candidatePair: { streamId: '1', componentId: 1, localCandidate: `candidate:${pair.localCandidate.toSdp()}`, remoteCandidate: `candidate:${pair.remoteCandidate.toSdp()}` },
    });
  }

  #maybeGatheringDone(): void {
    if (this.#gatherRequested && this.#gatheringDone && !this.#gatherDoneSent) {
      this.#gatherDoneSent = true;
      // getLocalSessionDescriptor now gives the SDP with its candidates (#localSdp).
      if (this.#pc.localDescription) this.emit('LocalDescriptionUpdated', { sdp: this.#localSdp() });
      this.emit('IceGatheringDone', {});
    }
  }

  // ---- inbound media -------------------------------------------------------------

  #onTrack(track: MediaStreamTrack): void {
    const kind: Kind = track.kind === 'audio' ? 'AUDIO' : 'VIDEO';
    track.onReceiveRtp.subscribe((rtp) => {
      if (this.closed) return;
      const codec = this.#codecFor(rtp.header.payloadType, track);
      if (!codec) return;
      this.#flow.packet('in', kind);
      this.#markMedia();
      if (kind === 'VIDEO') this.#bw.estimator.packet(rtp.header.sequenceNumber);
      // Header extensions are the sender's business with us; sinks get a clean packet.
      rtp.header.extensions = [];
      rtp.header.extension = false;
      const pkt: MediaPacket = { codec, buf: rtp.serialize(), at: performance.now() };
      this.forward(kind, pkt);
    });
    track.onReceiveRtcp.subscribe(() => this.#markMedia());
  }

  #codecFor(pt: number, track: MediaStreamTrack): RtpCodecInfo | undefined {
    let c = this.#inCodec.get(pt);
    if (c) return c;
    const tr = this.#pc.getTransceivers().find((t) => t.receiver.tracks.includes(track));
    const p = tr?.codecs.find((x) => x.payloadType === pt) ?? (track.codec?.payloadType === pt ? track.codec : undefined);
    if (!p) return undefined;
    const name = p.mimeType.split('/')[1] ?? p.mimeType;
    if (/^(rtx|red|ulpfec)$/i.test(name)) return undefined;
    c = { name, clockRate: p.clockRate, channels: p.channels, fmtp: p.parameters };
    this.#inCodec.set(pt, c);
    return c;
  }

  /** Kurento raises MediaStateChanged when RTCP starts flowing (conformance notes f). */
  #markMedia(): void {
    if (this.#mediaConnected || !this.#connected) return;
    this.#mediaConnected = true;
    this.emit('MediaStateChanged', { oldState: 'DISCONNECTED', newState: 'CONNECTED' });
  }

  // ---- outbound media ------------------------------------------------------------

  #senderFor(kind: Kind): RTCRtpTransceiver | undefined {
    const k = kind === 'AUDIO' ? 'audio' : 'video';
    return this.#pc.getTransceivers().find((t) => t.kind === k && (t.currentDirection === 'sendrecv' || t.currentDirection === 'sendonly'));
  }

  /**
   * The end of what we send (a played file ended upstream) is not the end of what we
   * receive: our sinks get the peer's media, which goes on. The end stops here, as in
   * Kurento, where an endpoint's sources are its network input.
   */
  override endOfStream(): void {}

  override deliver(kind: Kind, pkt: MediaPacket): void {
    if (this.closed) return;
    // The graph forwards only formats this endpoint accepts (MediaGraph.route).
    const lane = this.#lane(kind);
    // MediaFlowOut counts what leaves, not what was offered: nothing before DTLS is up
    // or after the peer's consent expired.
    if (!lane) return;
    const now = performance.now();
    if (this.#out.send(lane.send ??= this.#out.lane(lane.transceiver, lane.clockRate), lane.payloadType, pkt.buf, now)) this.#flow.packet('out', kind, now);
  }

  #lane(kind: Kind): OutLane | null {
    let lane = kind === 'VIDEO' ? this.#videoLane : this.#audioLane;
    if (lane === undefined) {
      lane = this.#laneFor(kind);
      if (kind === 'VIDEO') this.#videoLane = lane;
      else this.#audioLane = lane;
    }
    return lane;
  }

  /** The one codec negotiated for sending `kind` (none before an SDP step, or when the peer only sends). */
  override accepts(kind: Kind): FormatSet {
    const lane = this.#lane(kind);
    return lane ? [lane.ours] : [];
  }

  /** The codecs the peer may send on `kind`, as negotiated. */
  override produces(kind: Kind): FormatSet {
    const k = kind === 'AUDIO' ? 'audio' : 'video';
    return this.#pc.getTransceivers()
      .filter((t) => t.kind === k && (t.currentDirection === 'sendrecv' || t.currentDirection === 'recvonly'))
      .flatMap((t) => t.codecs)
      .map((p) => ({ name: p.mimeType.split('/')[1] ?? p.mimeType, clockRate: p.clockRate, channels: p.channels, fmtp: p.parameters }))
      .filter((c) => !/^(rtx|red|ulpfec)$/i.test(c.name));
  }

  /** After an SDP step: the transceivers, their directions or codecs may have changed. */
  #resetLanes(): void {
    this.#audioLane = undefined;
    this.#videoLane = undefined;
    this.#out.recheck();
    this.formatsChanged();
  }

  #laneFor(kind: Kind): OutLane | null {
    const tr = this.#senderFor(kind);
    const codec = tr?.sender.codec;
    if (!tr || !codec) return null;
    const ours: RtpCodecInfo = { name: codec.mimeType.split('/')[1] ?? '', clockRate: codec.clockRate, fmtp: codec.parameters };
    return { transceiver: tr, payloadType: codec.payloadType, clockRate: codec.clockRate, ours, send: undefined };
  }

  override inputChanged(kind: MediaKind, _edge: Edge | undefined): void {
    if (kind === 'VIDEO') this.#reportUpstream();
  }

  protected sendKeyframeRequest(): boolean {
    const tr = this.#pc.getTransceivers().find((t) => t.kind === 'video');
    const ssrc = tr?.receiver.tracks[0]?.ssrc;
    if (!tr || ssrc === undefined || !this.#connected) return false;
    tr.receiver.sendRtcpPLI(ssrc).catch(() => undefined);
    return true;
  }

  override reportBandwidth(from: MediaNode, bps: number): void {
    this.#bw.sinkReport(from, bps);
  }

  override outputRemoved(edge: Edge): void {
    if (edge.kind === 'VIDEO') this.#bw.sinkGone(edge.sink);
  }

  /** As a sink: tell the video source what this endpoint's peer can take (BandwidthPolicy). */
  #reportUpstream(): void {
    this.input('VIDEO')?.reportBandwidth(this, this.#bw.upstreamReport());
  }

  #startRemb(): void {
    this.#out.watch();
    this.#reportUpstream();
    if (this.#rembTimer) return;
    this.#rembTimer = setInterval(() => this.#sendRemb(), REMB_UPDATE_MS);
    this.#rembTimer.unref();
  }

  /**
   * REMB to the peer every 500 ms (Kurento's update period): the loss-based estimate
   * bounded by the sinks and the recv bandwidth properties (draft-alvestrand-rmcat-remb).
   */
  #sendRemb(): void {
    // REMB is about video we receive (draft-alvestrand-rmcat-remb §2): none while none
    // flows in, as with a viewer that only receives from Fluo.
    if (!this.#flow.isFlowing('in', 'VIDEO')) return;
    const tr = this.#pc.getTransceivers().find((t) => t.kind === 'video');
    const ssrc = tr?.receiver.tracks[0]?.ssrc;
    const dtls = this.#pc.dtlsTransports[0];
    if (!tr || ssrc === undefined || !dtls) return;
    this.#bw.estimator.update();
    const bps = this.#bw.rembToPeer();
    const remb = new ReceiverEstimatedMaxBitrate({ senderSsrc: tr.receiver.rtcpSsrc, mediaSsrc: 0, bitrate: BigInt(bps), ssrcFeedbacks: [ssrc] });
    dtls.sendRtcp([new RtcpPayloadSpecificFeedback({ feedback: remb })]).catch(() => undefined);
    this.#rembSent = { ssrc, bps };
  }

  // ---- data channels -------------------------------------------------------------

  override deliverData(msg: DataMessage): void {
    if (this.#channels.send(msg)) this.#flow.packet('out', 'DATA');
  }

  // ---- operations from the control plane -----------------------------------------

  protected stats(mediaType: string | null): Promise<Wire> {
    this.#out.foldCounts();
    return webrtcStats(this.#pc, this.id, mediaType, {
      outbound: (ssrc) => this.#out.outbound(ssrc), dropped: this.#guard.counters, sendBufferDrops: this.#out.sendBufferDrops,
      rembSent: (ssrc) => (ssrc === this.#rembSent?.ssrc ? this.#rembSent.bps : undefined),
      sendTarget: (kind) => (kind === 'video' ? this.#bw.sendTarget() : 0),
    });
  }

  /** What this endpoint sends its peer comes from the graph: that flow stopped. */
  override upstreamLost(kind: 'AUDIO' | 'VIDEO'): void {
    this.#flow.stop('out', kind);
  }

  protected override operations(): NodeOpHandlers<'WebRtcEndpoint'> {
    return {
      ...super.operations(),
      gatherCandidates: () => {
        this.#gatherRequested = true;
        for (const candidate of this.#pendingCandidates.splice(0)) this.emit('IceCandidateFound', { candidate });
        this.#maybeGatheringDone();
        return null;
      },
      addIceCandidate: (a) => this.#addIceCandidate(a),
      createDataChannel: (a) => { this.#channels.create(this.#pc, a); return null; },
      closeDataChannel: (a) => { this.#channels.close(Number(a.channelId)); return null; },
      setProperty: (a) => {
        if (a.name === 'rembParams') this.#bw.estimator.setParams((a.value ?? {}) as Partial<RembParams>);
        else if (this.#bw.set(String(a.name), Number(a.value))) this.#reportUpstream();
        return null;
      },
      setIce: (a) => { this.#setIce(a); return null; },
      restartIce: (a) => this.#restartIce(a.ufrag, a.pwd),
    };
  }

  /**
   * The peer restarts ICE with new credentials (iceRestart.ts): Fluo answers with its
   * new ones and its candidates of the new generation, gathered on the same sockets.
   * Only as answerer: an endpoint that made the offer would have to offer again.
   */
  async #restartIce(ufrag: string, pwd: string): Promise<string> {
    const remote = this.#pc.remoteDescription;
    if (!remote || remote.type !== 'offer' || this.#pc.signalingState !== 'stable') {
      throw new KurentoError('SDP_END_POINT_NOT_OFFER_GENERATED', 'An ICE restart needs an endpoint that answered an offer');
    }
    const bad = badIceCredentials(ufrag, pwd);
    if (bad) throw new KurentoError('ICE_ADD_CANDIDATE_ERROR', bad);
    // A new generation ends its own gathering: IceGatheringDone again after its candidates.
    this.#gatheringDone = false;
    this.#gatherDoneSent = false;
    try {
      await this.#pc.setRemoteDescription({ type: 'offer', sdp: offerWithCredentials(remote.sdp, ufrag, pwd) });
      const answer = await this.#pc.createAnswer();
      // setLocalDescription gathers the new generation before it resolves.
      await this.#pc.setLocalDescription({ type: 'answer', sdp: withoutTransportCc(answer.sdp) });
    } catch (err) {
      throw new KurentoError('SDP_END_POINT_PROCESS_OFFER_ERROR', `Cannot restart ICE: ${(err as Error).message}`);
    }
    // werift starts an answerer's ICE only while DTLS is not yet connected (its connect()
    // returns early otherwise), so after a restart the new checks are started here; DTLS
    // goes on over the pair they select.
    for (const t of this.#pc.iceTransports) {
      // (werift's gathering leaves the agent's state at 'completed': no pair yet is what says it has not connected.)
      if (t.connection.nominated === undefined && t.connection.remoteUsername) t.start().catch(() => undefined);
    }
    this.#resetLanes();
    // With its candidates: the peer has no other way to learn them (WHIP's PATCH answer).
    return this.#announce.announceSdp(withStreamMsid(this.#pc.localDescription!.sdp, this.#streamId));
  }

  /**
   * setStunServerAddress/Port, setTurnUrl, setIceTcp, setNetworkInterfaces and
   * setExternalIPv4/IPv6. werift hands new ICE settings only to ICE
   * transports that have not gathered yet (RFC 8829 §4.1.18: they affect the next
   * gathering), so they count when set before processOffer/generateOffer, which start
   * gathering here; Kurento reads them later, at gatherCandidates.
   */
  #setIce(ice: IceSettings): void {
    this.#ice = ice;
    this.#announce = new CandidatePolicy(ice);
    this.#pc.setConfiguration(iceConfig(ice));
  }

  #checkSdp(sdp: string, what: 'offer' | 'answer'): void {
    // A minimal RFC 8866 sanity check before werift sees it: werift accepts some garbage.
    if (!/^v=0\r?$/m.test(sdp) || !/^m=(audio|video|application) /m.test(sdp)) {
      throw new KurentoError('SDP_PARSE_ERROR', `Error parsing SDP ${what}: no 'v=0' line or no media section`);
    }
  }

  protected async processOffer(offer: string): Promise<string> {
    this.#checkSdp(offer, 'offer');
    offer = withoutUnacceptableH264(offer);
    acceptOfferedH264(this.#pc, offer);
    try {
      await this.#pc.setRemoteDescription({ type: 'offer', sdp: withMids(offer) });
      this.#resetLanes();
    } catch (err) {
      throw new KurentoError('SDP_PARSE_ERROR', `Error processing the SDP offer: ${(err as Error).message}`);
    }
    this.#haveRemote = true;
    answerLikeTheOffer(this.#pc, this.#opts);
    try {
      const answer = await this.#pc.createAnswer();
      // werift copies the offer's rtcp-fb lines; transport-cc must not be answered (see
      // webrtcConfig.codecs), so the peer falls back to REMB-driven bandwidth estimation.
      await this.#pc.setLocalDescription({ type: 'answer', sdp: withoutTransportCc(answer.sdp) });
      this.#transports.note();
      this.#resetLanes();
    } catch (err) {
      throw new KurentoError('SDP_END_POINT_PROCESS_OFFER_ERROR', `Cannot answer the offer: ${(err as Error).message}`);
    }
    this.#watchDtls();
    await this.#flushRemoteCandidates();
    this.#armIceDeadline();
    return this.#localSdp();
  }

  /**
   * Our SDP as the peer gets it (werift keeps its own copy without the stream msid).
   * Until `gatherCandidates`, without candidates: Kurento gathers only when asked, so
   * its offer or answer made before then has none, and they reach the application as
   * IceCandidateFound; after it (KMS's check_exchange_candidates_on_sdp), the SDP
   * carries those gathered so far.
   */
  #localSdp(): string {
    const sdp = this.#announce.announceSdp(withStreamMsid(this.#pc.localDescription!.sdp, this.#streamId));
    return this.#gatherRequested ? sdp : withoutCandidates(sdp);
  }

  protected async generateOffer(a: OfferOptions): Promise<string> {
    const dir = this.#opts.recvonly ? 'recvonly' : this.#opts.sendonly ? 'sendonly' : 'sendrecv';
    if (a.offerToReceiveAudio !== false || !this.#opts.recvonly) this.#pc.addTransceiver('audio', { direction: dir });
    if (a.offerToReceiveVideo !== false || !this.#opts.recvonly) this.#pc.addTransceiver('video', { direction: dir });
    if (this.#opts.useDataChannels) this.#channels.add(this.#pc.createDataChannel('fluo'));
    try {
      const offer = await this.#pc.createOffer();
      await this.#pc.setLocalDescription({ type: 'offer', sdp: withoutTransportCc(offer.sdp) });
      this.#transports.note();
      this.#resetLanes();
    } catch (err) {
      throw new KurentoError('SDP_END_POINT_GENERATE_OFFER_ERROR', `Cannot generate an offer: ${(err as Error).message}`);
    }
    this.#watchDtls();
    this.#armIceDeadline();
    return this.#localSdp();
  }

  protected async processAnswer(answer: string): Promise<string> {
    this.#checkSdp(answer, 'answer');
    try {
      await this.#pc.setRemoteDescription({ type: 'answer', sdp: answer });
      // The transports of m-sections the answer bundled onto another are of no use now.
      await this.#transports.stopUnused();
      this.#resetLanes();
    } catch (err) {
      throw new KurentoError('SDP_PARSE_ERROR', `Error processing the SDP answer: ${(err as Error).message}`);
    }
    this.#haveRemote = true;
    this.#watchDtls();
    await this.#flushRemoteCandidates();
    this.#armIceDeadline();
    return this.#localSdp();
  }

  /**
   * An endpoint whose peer never connects would keep its sockets (one UDP socket and a
   * TCP listener per interface, IPv4 and IPv6) until its application releases it or the
   * session collector does, 4-8 minutes later (issue 16, defect 8: 200 such endpoints
   * held 846 fds). After `iceConnectTimeout` seconds without ICE connecting, the
   * endpoint raises Error, closes its transport and frees them; the object stays for
   * the application to release.
   */
  #armIceDeadline(): void {
    const seconds = this.#opts.iceConnectTimeout;
    if (!seconds || this.#iceDeadline || this.#connected) return;
    this.#iceDeadline = setTimeout(() => this.#abandon(seconds), seconds * 1000);
    this.#iceDeadline.unref();
  }

  #abandon(seconds: number): void {
    this.#iceDeadline = undefined;
    if (this.#connected || this.closed || this.#abandoned) return;
    const state = this.#pc.iceConnectionState;
    if (state === 'connected' || state === 'completed') return;
    this.#abandoned = true;
    this.emit('IceComponentStateChanged', { streamId: 1, componentId: 1, state: 'FAILED' });
    this.emit('Error', {
      description: `ICE did not connect within ${seconds} s of the SDP negotiation (WebRtcEndpoint.conf.ini iceConnectTimeout): the endpoint closed its transport and freed its sockets; release it`,
      errorCode: 40400, type: 'ICE_CONNECT_TIMEOUT',
    });
    this.#freeTransport();
  }

  async #addIceCandidate(a: IceCandidateArgs): Promise<null> {
    const c = { candidate: String(a.candidate ?? ''), sdpMid: a.sdpMid, sdpMLineIndex: a.sdpMLineIndex };
    // An empty candidate is end-of-candidates (RFC 8838 §8.2): nothing to add.
    if (c.candidate.trim() === '') return null;
    if (!/^(a=)?candidate:\S+ \d+ (udp|tcp) \d+ \S+ \d+ typ \w+/i.test(c.candidate.trim())) {
      throw new KurentoError('ICE_ADD_CANDIDATE_ERROR', `Malformed ICE candidate '${c.candidate.slice(0, 200)}'`);
    }
    // Kurento queues candidates that arrive before the remote SDP (the tutorials send them first).
    if (!this.#haveRemote) {
      this.#remoteCandidates.push(c);
      return null;
    }
    await this.#addRemote(c);
    return null;
  }

  async #addRemote(c: { candidate: string; sdpMid?: string; sdpMLineIndex?: number }): Promise<void> {
    try {
      await this.#pc.addIceCandidate(new RTCIceCandidate({ candidate: c.candidate.replace(/^a=/, ''), sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex }));
    } catch (err) {
      throw new KurentoError('ICE_ADD_CANDIDATE_ERROR', `Cannot add ICE candidate: ${(err as Error).message}`);
    }
  }

  async #flushRemoteCandidates(): Promise<void> {
    for (const c of this.#remoteCandidates.splice(0)) await this.#addRemote(c).catch(() => undefined);
  }

  protected override onClose(): Promise<void> {
    clearTimeout(this.#iceDeadline);
    sharedPort()?.removePeer(this.#pc);
    return this.#freeTransport();
  }

  #transportFreed: Promise<void> | undefined;

  /** Closes the peer connection and its sockets (once: on release, or when ICE never connected). */
  #freeTransport(): Promise<void> {
    if (this.#rembTimer) clearInterval(this.#rembTimer);
    this.#rembTimer = undefined;
    this.#out.close();
    this.#flow.close();
    this.#channels.closeAll();
    // TURN allocations are deleted on the server first: werift would leave them there.
    const pc = this.#pc;
    const transports = this.#transports;
    this.#transportFreed ??= deleteTurnAllocations(pc).catch(() => 0).then(() => pc.close()).catch(() => undefined).then(() => transports.stopAll());
    return this.#transportFreed;
  }
}
