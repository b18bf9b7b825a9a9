/**
 * The seam between the control plane (main thread) and a media worker, as one table of
 * typed messages both sides derive from (as mediasoup derives both of its sides from
 * one schema). The control plane says what exists and how it is linked; the worker
 * moves packets and reports events. No JSON-RPC crosses this line, and no packet does.
 *
 * - `NodeKinds`: every kind of media node, with its creation options and the operations
 *   it answers. A kind is the KMD class name of the object that owns the node.
 * - `MediaOps`: every operation, with its arguments and its result.
 * - `MediaEvents`: every event a node raises, with its data (Kurento's canonical event
 *   names and fields, plus Fluo's internal `LocalDescriptionUpdated`).
 */

import type { MessagePort } from 'node:worker_threads';

/** Plain data only (structured-clone safe). */
export type Wire = null | boolean | number | string | Wire[] | { [k: string]: Wire };
type Empty = Record<string, never>;

export type MediaKind = 'AUDIO' | 'VIDEO' | 'DATA';
export type FlowState = 'FLOWING' | 'NOT_FLOWING';

// ---- creation options ------------------------------------------------------------

/** WebRtcEndpoint ICE settings (Kurento property names). */
export interface IceSettings {
  stunServerAddress?: string;
  stunServerPort?: number;
  turnUrl?: string;
  networkInterfaces?: string;
  externalIPv4?: string;
  externalIPv6?: string;
  iceTcp?: boolean;
}

export interface WebRtcEndpointOptions {
  recvonly: boolean;
  sendonly: boolean;
  useDataChannels: boolean;
  certificateKeyType: string;
  /**
   * The PEM file (WebRtcEndpoint.conf.ini pemCertificateRSA or pemCertificateECDSA, as
   * certificateKeyType picks) every DTLS handshake presents; null: the worker's own
   * generated ECDSA certificate.
   */
  certificateFile?: string | null;
  ice: IceSettings;
  minPort: string | null;
  maxPort: string | null;
  /** Seconds after an SDP step within which ICE must connect, else the endpoint frees its sockets (0: never). */
  iceConnectTimeout: number;
}

/** KMD SDES, as the RtpEndpoint constructor takes it. */
export interface SdesOptions {
  crypto?: string;
  key?: string;
  keyBase64?: string;
}

export interface RecorderEndpointOptions {
  uri: string;
  /** A KMD MediaProfileSpecType value. */
  mediaProfile: string;
  stopOnEndOfStream: boolean;
}

export interface PlayerEndpointOptions {
  uri: string;
  /** KMD PlayerEndpoint.useEncodedMedia: pass encoded tracks on without decoding where their format allows. */
  useEncodedMedia: boolean;
  /** KMD PlayerEndpoint.networkCache: the RTSP jitter buffer (ms). */
  networkCache: number;
  /** mediaServer.security destination lists: the URI's host is checked before anything is fetched. */
  destinations: { deny: readonly string[]; allow: readonly string[] };
}

export interface HttpPostEndpointOptions {
  /** KMD HttpPostEndpoint.useEncodedMedia: VP8 / Opus uploads are payloaded without decoding. */
  useEncodedMedia: boolean;
  /** KMD HttpPostEndpoint.disconnectionTimeout (s): how long a lost upload may be resumed by a new POST. */
  disconnectionTimeout: number;
}

/** KMD VideoInfo (times in ms). */
export type VideoInfo = { isSeekable: boolean; seekableInit: number; seekableEnd: number; duration: number };

/** The MediaElement properties that bound an engine encoder's bitrate (KMD core). */
export type EncoderBitrateName = 'encoderBitrate' | 'minEncoderBitrate' | 'maxEncoderBitrate';

export interface GStreamerFilterOptions {
  /** The gst-launch fragment, already checked and adjusted by the control plane. */
  command: string;
  /** The name of the command's first element: setElementProperty sets its properties. */
  element: string;
  /** What the command processes; the other kind passes through. */
  media: 'AUDIO' | 'VIDEO';
  /** Element factories the engine must refuse in the parsed command (a regular expression's source); absent when all are allowed. */
  refuseFactories?: string;
}

/** ImageOverlayFilter and FaceOverlayFilter: where the image URIs they are given may be fetched from. */
export interface OverlayFilterOptions {
  /** mediaServer.security destination lists: every address an http(s) image host resolves to is checked. */
  destinations: { deny: readonly string[]; allow: readonly string[] };
  /** mediaServer.security.fileRoots: the directories file:// images may be read from. */
  fileRoots: readonly string[];
  /** mediaServer.security.verifyImageCertificates: https:// images only from servers whose certificate verifies. */
  verifyCertificates?: boolean;
}

/** Where an image goes, in KMD terms (fractions: of the picture for ImageOverlayFilter, of the face box for FaceOverlayFilter). */
export interface OverlayPlacement {
  offsetXPercent: number;
  offsetYPercent: number;
  widthPercent: number;
  heightPercent: number;
}

/** KMD pointerdetector constructor values, already checked by the control plane (parsed again by the node). */
export interface PointerDetectorFilterOptions extends OverlayFilterOptions {
  calibrationRegion: Wire;
  windows: Wire[];
}

/** KMD crowddetector constructor values, already checked by the control plane (parsed again by the node). */
export interface CrowdDetectorFilterOptions {
  rois: Wire[];
  processingWidth: number;
}

export interface PlateDetectorFilterOptions {
  /** KMD PlateDetectorFilter.setPlateWidthPercentage, checked by the control plane: (0, 1]. */
  plateWidthPercentage?: number;
}

export interface ChromaFilterOptions extends OverlayFilterOptions {
  /** KMD chroma.WindowParam, in pixels of the picture: the calibration window (x, y: its top-left corner). */
  window: { x: number; y: number; width: number; height: number };
  /** The background image's URI (fetched by the node, as the overlay filters' images), or null for none. */
  backgroundImage: string | null;
}

export interface RtpEndpointOptions {
  useIpv6: boolean;
  crypto: SdesOptions | null;
  minPort: string | null;
  maxPort: string | null;
}

// ---- operations ------------------------------------------------------------------

/** KMD OfferOptions. */
export interface OfferOptions {
  offerToReceiveAudio?: boolean;
  offerToReceiveVideo?: boolean;
}

export interface IceCandidateArgs {
  candidate: string;
  sdpMid?: string;
  sdpMLineIndex?: number;
}

export interface DataChannelArgs {
  label: string;
  ordered: boolean;
  maxPacketLifeTime: number;
  maxRetransmits: number;
  protocol: string;
}

/** Stats keyed by stats id, each a KMD Stats value with its `__type__`. */
export type StatsMap = Record<string, Wire>;

export interface MediaOps {
  getStats: { args: { mediaType: string | null; latency?: boolean }; result: StatsMap };
  processOffer: { args: { offer: string }; result: string };
  generateOffer: { args: OfferOptions; result: string };
  processAnswer: { args: { answer: string }; result: string };
  requestKeyframe: { args: Empty; result: null };
  /** A BaseRtpEndpoint bitrate property (kbps) or rembParams. */
  setProperty: { args: { name: string; value: Wire }; result: null };
  gatherCandidates: { args: Empty; result: null };
  addIceCandidate: { args: IceCandidateArgs; result: null };
  createDataChannel: { args: DataChannelArgs; result: null };
  closeDataChannel: { args: { channelId: number }; result: null };
  setIce: { args: IceSettings; result: null };
  /**
   * An ICE restart asked by the remote peer (RFC 8445 §2.4, WHIP's PATCH, RFC 9725
   * §4.3.2): its new credentials; the answer is Fluo's new local SDP, gathered.
   */
  restartIce: { args: { ufrag: string; pwd: string }; result: string };
  /** UriEndpoint: RecorderEndpoint.record, PlayerEndpoint.play. */
  record: { args: Empty; result: null };
  pause: { args: Empty; result: null };
  stop: { args: Empty; result: null };
  /** Resolves once everything is written (RecorderEndpoint.stopAndWait). */
  stopAndWait: { args: Empty; result: null };
  /** PlayerEndpoint. */
  play: { args: Empty; result: null };
  getVideoInfo: { args: Empty; result: VideoInfo };
  getPosition: { args: Empty; result: number };
  setPosition: { args: { position: number }; result: null };
  /**
   * HttpPostEndpoint: a POST starts (or resumes) an upload; the answer is the FIFO the
   * HTTP server writes the body into (the engine bin reads it).
   */
  beginUpload: { args: Empty; result: string };
  /** The POST's body ended (`complete`) or its connection was lost (resumable within disconnectionTimeout). */
  endUpload: { args: { complete: boolean }; result: null };
  /** The engine's DOT of the element's own pipeline. */
  getElementGstreamerDot: { args: Empty; result: string };
  /** Waits until the node's engine part is built; fails with its error (a filter the engine refused). */
  ready: { args: Empty; result: null };
  /** GStreamerFilter.setElementProperty: a property of the named element of the command (or the first one). */
  setElementProperty: { args: { name: string; value: string }; result: null };
  /** ImageOverlayFilter.addImage: the image fetched, then drawn (a new image with the same id replaces it). */
  addImage: { args: OverlayPlacement & { id: string; uri: string; keepAspectRatio: boolean; center: boolean }; result: null };
  removeImage: { args: { id: string }; result: null };
  /** FaceOverlayFilter.setOverlayedImage: the image fetched, then drawn over every face found. */
  setOverlayedImage: { args: OverlayPlacement & { uri: string }; result: null };
  unsetOverlayedImage: { args: Empty; result: null };
  /** PlateDetectorFilter.setPlateWidthPercentage, already checked to be in (0, 1]. */
  setPlateWidthPercentage: { args: { plateWidthPercentage: number }; result: null };
  /** ChromaFilter.setBackground: the image is fetched and shown where the key colour was. */
  setBackground: { args: { uri: string }; result: null };
  /** ChromaFilter.unsetBackground: the keyed area shows black. */
  unsetBackground: { args: Empty; result: null };
  /** MediaElement.setVideoFormat/setAudioFormat: the codec this node's input must have (null: any it accepts). */
  setFormat: { args: { kind: 'AUDIO' | 'VIDEO'; codec: string | null }; result: null };
  /** MediaElement encoderBitrate / minEncoderBitrate / maxEncoderBitrate (bps; KMD: 0 = unset for min and max). */
  setEncoderBitrate: { args: { name: EncoderBitrateName; bps: number }; result: null };
  /** PointerDetectorFilter (KMD pointerdetector): a PointerDetectorWindowMediaParam. */
  addWindow: { args: { window: Wire }; result: null };
  removeWindow: { args: { windowId: string }; result: null };
  clearWindows: { args: Empty; result: null };
  trackColorFromCalibrationRegion: { args: Empty; result: null };
  /** CrowdDetectorFilter.processingWidth (KMD crowddetector). */
  setProcessingWidth: { args: { width: number }; result: null };
  /** DispatcherOneToMany.setSource / removeSource (`port` null): the port whose media every other port sends. */
  setSource: { args: { port: string | null }; result: null };
  /**
   * Dispatcher.connect (both kinds) and Mixer.connect/disconnect (one kind): routes `source`
   * port's input to `sink` port's output (`connected` false: takes that route away).
   */
  routePorts: { args: { source: string; sink: string; media: 'AUDIO' | 'VIDEO' | null; connected: boolean }; result: null };
  /** AlphaBlending.setMaster: this port's picture fills the output. */
  setMaster: { args: { port: string; zOrder: number }; result: null };
  /** AlphaBlending.setPortProperties: where this port's picture goes, relative to the master's (0 to 1). */
  setPortProperties: { args: { port: string; relativeX: number; relativeY: number; relativeWidth: number; relativeHeight: number; zOrder: number }; result: null };
}

export type OpName = keyof MediaOps;
export type OpArgs<O extends OpName> = MediaOps[O]['args'];
export type OpResult<O extends OpName> = MediaOps[O]['result'];

/** What every media element's node answers (MediaNode.operations). */
export type BaseOps = 'getStats' | 'setFormat' | 'setEncoderBitrate';
type SdpOps = 'processOffer' | 'generateOffer' | 'processAnswer' | 'requestKeyframe' | 'setProperty';

/** Every kind of media node: its options and the operations it answers. */
export interface NodeKinds {
  PassThrough: { options: Empty; ops: BaseOps };
  WebRtcEndpoint: { options: WebRtcEndpointOptions; ops: BaseOps | SdpOps | 'gatherCandidates' | 'addIceCandidate' | 'createDataChannel' | 'closeDataChannel' | 'setIce' | 'restartIce' };
  RtpEndpoint: { options: RtpEndpointOptions; ops: BaseOps | SdpOps };
  RecorderEndpoint: { options: RecorderEndpointOptions; ops: BaseOps | 'record' | 'pause' | 'stop' | 'stopAndWait' };
  PlayerEndpoint: { options: PlayerEndpointOptions; ops: BaseOps | 'play' | 'pause' | 'stop' | 'getVideoInfo' | 'getPosition' | 'setPosition' | 'getElementGstreamerDot' };
  HttpPostEndpoint: { options: HttpPostEndpointOptions; ops: BaseOps | 'beginUpload' | 'endUpload' | 'getElementGstreamerDot' };
  GStreamerFilter: { options: GStreamerFilterOptions; ops: FilterOps | 'setElementProperty' };
  ImageOverlayFilter: { options: OverlayFilterOptions; ops: FilterOps | 'addImage' | 'removeImage' };
  FaceOverlayFilter: { options: OverlayFilterOptions; ops: FilterOps | 'setOverlayedImage' | 'unsetOverlayedImage' };
  PointerDetectorFilter: { options: PointerDetectorFilterOptions; ops: FilterOps | 'addWindow' | 'removeWindow' | 'clearWindows' | 'trackColorFromCalibrationRegion' };
  CrowdDetectorFilter: { options: CrowdDetectorFilterOptions; ops: FilterOps | 'setProcessingWidth' };
  PlateDetectorFilter: { options: PlateDetectorFilterOptions; ops: FilterOps | 'setPlateWidthPercentage' };
  ZBarFilter: { options: Empty; ops: FilterOps };
  ChromaFilter: { options: ChromaFilterOptions; ops: FilterOps | 'setBackground' | 'unsetBackground' };
  /** The datachannelexample module's elements: no operations of their own. */
  KmsShowData: { options: Empty; ops: FilterOps };
  KmsSendData: { options: Empty; ops: FilterOps };
  KmsDetectFaces: { options: Empty; ops: FilterOps };
  KmsShowFaces: { options: Empty; ops: FilterOps };
  /** A hub's port: its `hub` is the object id of the hub node it belongs to. */
  HubPort: { options: { hub: string }; ops: BaseOps };
  DispatcherOneToMany: { options: Empty; ops: BaseOps | 'setSource' };
  Dispatcher: { options: Empty; ops: BaseOps | 'routePorts' };
  /** KMD Composite: the mixed picture's size and rate. */
  Composite: { options: { width: number; height: number; framerate: number }; ops: BaseOps };
  AlphaBlending: { options: Empty; ops: BaseOps | 'setMaster' | 'setPortProperties' };
  Mixer: { options: Empty; ops: BaseOps | 'routePorts' };
  /**
   * The two ends of a pipe (issue 14 item 6, mediasoup's pipeToRouter): no KMD class
   * owns them. When a MediaPipeline spreads over several workers, a source's media is
   * carried once to every other worker that has sinks for it: `PipeOut` is a sink of the
   * source on its worker, `PipeIn` stands for the source on the other worker.
   */
  PipeOut: { options: PipeOptions; ops: 'getStats' };
  PipeIn: { options: PipeOptions; ops: 'getStats' };
}

/** A pipe end: `pipe` names the pipe on both workers, `peer` is the other end's worker. */
export interface PipeOptions {
  pipe: string;
  peer: number;
}

/** What every filter node answers. */
type FilterOps = BaseOps | 'ready';

export type NodeKind = keyof NodeKinds;
export type NodeOptions<K extends NodeKind> = NodeKinds[K]['options'];

/** The handlers a node of kind K must have: one per operation, typed by the table. */
export type OpHandlers<O extends OpName> = { [P in O]: (args: OpArgs<P>) => OpResult<P> | Promise<OpResult<P>> };
export type NodeOpHandlers<K extends NodeKind> = OpHandlers<NodeKinds[K]['ops']>;

// ---- events ----------------------------------------------------------------------

type StateChange = {
  oldState: 'CONNECTED' | 'DISCONNECTED';
  newState: 'CONNECTED' | 'DISCONNECTED';
};

export interface MediaEvents {
  MediaFlowInStateChanged: { state: FlowState; padName: string; mediaType: MediaKind };
  MediaFlowOutStateChanged: { state: FlowState; padName: string; mediaType: MediaKind };
  MediaTranscodingStateChanged: { state: 'TRANSCODING' | 'NOT_TRANSCODING'; binName: string; mediaType: MediaKind };
  /** Kurento's Error event: `type` is a Kurento error type name. */
  Error: { description: string; errorCode: number; type: string };
  ConnectionStateChanged: StateChange;
  MediaStateChanged: StateChange;
  MediaSessionStarted: Empty;
  MediaSessionTerminated: Empty;
  IceCandidateFound: { candidate: { candidate: string; sdpMid: string; sdpMLineIndex: number } };
  IceGatheringDone: Empty;
  IceComponentStateChanged: { streamId: number; componentId: number; state: string };
  NewCandidatePairSelected: { candidatePair: { streamId: string; componentId: number; localCandidate: string; remoteCandidate: string } };
  DtlsConnectionStateChange: { streamId: string; componentId: string; connectionId: string; state: string };
  DataChannelOpened: { channelId: number };
  DataChannelClosed: { channelId: number };
  UriEndpointStateChanged: { state: 'STOP' | 'START' | 'PAUSE' };
  Recording: Empty;
  Paused: Empty;
  Stopped: Empty;
  EndOfStream: Empty;
  /** KMD pointerdetector: the pointer entered / left a window. */
  WindowIn: { windowId: string };
  WindowOut: { windowId: string };
  /**
   * KMD crowddetector events. `roiId` is the KMD 6.18 field; `roiID` its deprecated
   * spelling, which Kurento's JavaScript tutorial (`data.roiID`) and Java one (`getRoiID()`)
   * read and kurento-module-crowddetector 6.18.0 still documents: both are sent.
   */
  CrowdDetectorOccupancy: { roiId: string; roiID: string; occupancyPercentage: number; occupancyLevel: number };
  CrowdDetectorFluidity: { roiId: string; roiID: string; fluidityPercentage: number; fluidityLevel: number };
  CrowdDetectorDirection: { roiId: string; roiID: string; directionAngle: number };
  /** KMD platedetector PlateDetected: a plate read in the picture, once per appearance. */
  PlateDetected: { plate: string };
  /** ZBarFilter: a code came into view (filters.kmd CodeFound). */
  CodeFound: { codeType: string; value: string };
  /** Fluo's own: the SDP `getLocalSessionDescriptor` answers now carries candidates. */
  LocalDescriptionUpdated: { sdp: string };
}

export type MediaEventName = keyof MediaEvents;
export type EmitFn = <N extends MediaEventName>(name: N, data: MediaEvents[N]) => void;

// ---- messages --------------------------------------------------------------------

/** One edge of a pipeline's graph: one media kind from a source pad to a sink pad. */
export interface EdgeSpec {
  source: string;
  sink: string;
  kind: MediaKind;
  sourceDescription: string;
  sinkDescription: string;
}

/** Creates the media node of an object (an element or a hub) of a pipeline. */
export type CreateMessage = { [K in NodeKind]: { t: 'create'; pipeline: string; object: string; kind: K; options: NodeOptions<K> } }[NodeKind];

export type CallMessage = { [O in OpName]: { t: 'call'; id: number; pipeline: string; object: string; op: O; args: OpArgs<O> } }[OpName];
export type PostMessage = { [O in OpName]: { t: 'post'; pipeline: string; object: string; op: O; args: OpArgs<O> } }[OpName];

/** Messages that address one pipeline, handled in order by the worker's MediaHost. */
export type PipelineMessage =
  | CreateMessage
  /** Runs an operation on a node; answered by a Reply with the same id. */
  | CallMessage
  /** Same, no answer expected: a failure comes back as the node's `Error` event. */
  | PostMessage
  | { t: 'release'; pipeline: string; object: string }
  | { t: 'link'; pipeline: string; edge: EdgeSpec }
  | { t: 'unlink'; pipeline: string; edge: EdgeSpec }
  | { t: 'releasePipeline'; pipeline: string }
  /** MediaPipeline.latencyStats switched on or off. */
  | { t: 'setLatencyStats'; pipeline: string; on: boolean };

export type ToWorker =
  | PipelineMessage
  /** A channel to another worker (`worker`: its index), for the pipes between them; replaces an older one. */
  | { t: 'peer'; worker: number; port: MessagePort }
  /** Release everything and close every socket; answered by `stopped` (the worker is then terminated). */
  | { t: 'stop' }
  /** What keeps the worker's event loop alive (sockets, timers); answered by `resources`. */
  | { t: 'resources'; id: number }
  /** The media engine's own graph of a pipeline (gst_debug_bin_to_dot_data); answered by `dot`. */
  | { t: 'dot'; id: number; pipeline: string }
  /** The worker's engine processes and their bins; answered by `engineStats`. */
  | { t: 'engineStats'; id: number }
  /** The worker's media counters and gauges (/metrics); answered by `mediaStats`. */
  | { t: 'mediaStats'; id: number };

export type EventMessage = { [N in MediaEventName]: { t: 'event'; pipeline: string; object: string; name: N; data: MediaEvents[N] } }[MediaEventName];

export type FromWorker =
  | { t: 'reply'; id: number; ok: true; value: Wire }
  | { t: 'reply'; id: number; ok: false; error: { type: string; message: string } }
  /** A node raised an event (canonical Kurento event name and its own properties). */
  | EventMessage
  | { t: 'ready' }
  /** Answer to `stop`: `closed` false when some socket had not closed in time. */
  | { t: 'stopped'; closed: boolean }
  /** process.getActiveResourcesInfo() of the worker, by handle type, its own message port left out. */
  | { t: 'resources'; id: number; list: string[] }
  | { t: 'dot'; id: number; dot: string | null }
  | { t: 'engineStats'; id: number; processes: EngineProcessStats[]; transcoders: TranscoderStats[] }
  | { t: 'mediaStats'; id: number; stats: WorkerMediaStats };

/** The media plane's counters of one worker (src/media/worker/mediaCounters.ts). */
export interface MediaCounterValues {
  /** RTP packets sent to WebRTC peers (forwarded, or out of a transcoder, filter or hub). */
  webrtcPacketsSent: number;
  webrtcBytesSent: number;
  /** RTP packets sent to plain RTP peers (RtpEndpoint). */
  rtpPacketsSent: number;
  rtpBytesSent: number;
  /** Batched sends (SendBatch): native calls made, and the WebRTC copies they carried. */
  sendBatches: number;
  sendBatchPackets: number;
  /** Packets resent for NACKs. */
  retransmissions: number;
  /** Generic NACK messages from peers (RFC 4585 §6.2.1). */
  nacksReceived: number;
  /** PLI and FIR from peers (RFC 4585 §6.3.1, RFC 5104 §4.3.1). */
  pliReceived: number;
  firReceived: number;
  /** Keyframe requests sent to source peers, and those the rate limit coalesced. */
  keyframeRequestsSent: number;
  keyframeRequestsCoalesced: number;
  /** Datagrams IceGuard dropped before werift saw them, by reason. */
  droppedUnknownAddress: number;
  droppedMalformed: number;
  droppedUnauthenticatedAlert: number;
  droppedUnauthenticatedStun: number;
  /** RTP packets carried to another worker by a pipe (a MediaPipeline spread over workers), and received from one. */
  pipedPacketsSent: number;
  pipedPacketsReceived: number;
  /** Transcoders started since the worker started. */
  transcodersStarted: number;
  /** Engine processes started, and those that ended other than by Fluo stopping them (crash, kill, heartbeat). */
  engineProcessesStarted: number;
  engineProcessesLost: number;
}

/** What one media worker reports to `/metrics`. */
export interface WorkerMediaStats {
  counters: MediaCounterValues;
  pipelines: number;
  transcoders: number;
  engineProcesses: number;
  /** The worker's event-loop delay since the previous report (ms; sampled every 200 ms). */
  loopDelayMeanMs: number;
  loopDelayMaxMs: number;
  /** The worker's V8 heap: used, reserved, and the young generation's size (new space, both semi-spaces). */
  heapUsedBytes: number;
  heapSizeBytes: number;
  newSpaceBytes: number;
}

// ---- pipes between workers -------------------------------------------------------

/** A codec as a pipe carries it (the media plane's RtpCodecInfo). */
export interface PipeCodec { name: string; clockRate: number; channels?: number; fmtp?: string }

/**
 * What the two ends of a pipe say to each other over their workers' channel. Times
 * are milliseconds since the epoch (performance.timeOrigin + performance.now()): each
 * thread's performance.now() has its own origin.
 */
export type PipeMessage =
  // downstream, PipeOut -> PipeIn
  /** One RTP packet (whole, decrypted); `codec` is an id the pipe announced with `codec` first. */
  | { t: 'rtp'; pipe: string; kind: 'AUDIO' | 'VIDEO'; codec: number; at: number; buf: Uint8Array }
  | { t: 'codec'; pipe: string; id: number; codec: PipeCodec }
  | { t: 'data'; pipe: string; label: string; data: string | Uint8Array }
  /** What the source may send (its `produces`), sent when it changes and when asked. */
  | { t: 'formats'; pipe: string; audio: PipeCodec[] | 'any'; video: PipeCodec[] | 'any' }
  | { t: 'eos'; pipe: string }
  // upstream, PipeIn -> PipeOut
  /** The PipeIn exists: the formats, please (whichever end starts second gets them). */
  | { t: 'hello'; pipe: string }
  /** A sink asks for a keyframe; it could take media from `readySince` on. */
  | { t: 'keyframe'; pipe: string; readySince: number }
  /** The lowest bitrate the sinks behind the PipeIn can take (bps; Infinity: no limit). */
  | { t: 'bandwidth'; pipe: string; bps: number };

/** An engine process of a worker, for leak checks and operators. */
export interface EngineProcessStats { pid: number; rssBytes: number; pipelines: number; bins: number }

/** A transcoder of a worker: its formats, frames through it, and recent frame latencies (ms). */
export interface TranscoderStats { id: string; from: string; to: string; framesIn: number; framesOut: number; latencyMs: number[] }

/** One media worker's engine graph of a pipeline (gst_debug_bin_to_dot_data's text), for getGstreamerDot. */
export interface EngineDot {
  readonly worker: number;
  readonly dot: string;
}
