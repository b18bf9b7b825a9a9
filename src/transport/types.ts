/**
 * Public types of the WebRTC transport: options, what was negotiated, and the typed
 * event map. Names of states follow Kurento's KMD enums (elements module:
 * IceComponentState, DtlsConnectionState; core module: ConnectionState) so the
 * WebRtcEndpoint can pass them through unchanged.
 */

export interface WebRtcTransportOptions {
  /** Only receive media (KMS `recvonly` constructor parameter). */
  recvonly?: boolean;
  /** Only send media (KMS `sendonly`). */
  sendonly?: boolean;
  /** Accept / offer an SCTP m-line (KMS `useDataChannels`). Without it, data channel calls throw 40111. */
  useDataChannels?: boolean;
  stun?: { address: string; port: number };
  /** Kurento form `user:password@address:port[?transport=udp|tcp]` (WebRtcEndpoint.turnUrl). */
  turnUrl?: string;
  /** Interface names (Kurento `networkInterfaces`); host candidates come only from these. */
  networkInterfaces?: string[];
  /** Replaces the address of IPv4 host candidates in what the peer sees (Kurento `externalIPv4`). */
  externalIPv4?: string;
  /** Same for IPv6 (Kurento `externalIPv6`). IPv6 gathering is on only when this is set or an interface has one. */
  externalIPv6?: string;
  portRange?: { min: number; max: number };
  /** Also gather ICE-TCP candidates (Kurento `iceTcp`). */
  iceTcp?: boolean;
  /** Extra host addresses, e.g. ['127.0.0.1'] for loopback-only tests (werift skips loopback otherwise). */
  additionalHostAddresses?: string[];
  /**
   * REMB sent to the peer every second from DTLS connected until `sendRemb` gives a
   * value (KMS RembParams.rembOnConnect is 300 kbps). Default 300000.
   */
  rembOnConnectBps?: number;
  /** Offer/answer IPv6 candidates too. Default false (the test namespace has no IPv6). */
  ipv6?: boolean;
}

export type MediaKind = 'audio' | 'video';

/** KMD elements.IceComponentState. */
export type IceComponentState = 'DISCONNECTED' | 'GATHERING' | 'CONNECTING' | 'CONNECTED' | 'READY' | 'FAILED';
/** KMD elements.DtlsConnectionState. */
export type DtlsConnectionState = 'NEW' | 'CLOSED' | 'FAILED' | 'CONNECTING' | 'CONNECTED';
/** KMD core.ConnectionState. */
export type ConnectionState = 'CONNECTED' | 'DISCONNECTED';
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface IceCandidateInit {
  candidate: string;
  sdpMid?: string;
  sdpMLineIndex?: number;
}

export interface NegotiatedCodec {
  /** Encoding name as negotiated (e.g. `VP8`, `opus`). */
  name: string;
  payloadType: number;
  clockRate: number;
  channels?: number;
  fmtp?: string;
  /** Payload type of the RTX stream bound to this codec (RFC 4588 `apt`), if negotiated. */
  rtxPayloadType?: number;
  /** rtcp-fb values, e.g. `nack`, `nack pli`, `ccm fir`, `goog-remb`. */
  rtcpFeedback: string[];
}

export interface NegotiatedMedia {
  mid: string;
  /** Direction from this transport's point of view after negotiation. */
  direction: Direction;
  /** In the answer's order; the first is the one the peer will send (RFC 3264 §6.1). */
  codecs: NegotiatedCodec[];
  /** Extension ids valid on packets received from (and sent to) this peer. */
  headerExtensions: Array<{ id: number; uri: string }>;
  /** SSRC announced for what this transport sends: the forwarding layer writes it into packets. */
  localSsrc: number;
  /** SSRCs the peer sends (from its SDP, plus any learned from received packets). */
  remoteSsrcs: number[];
}

export interface CandidatePair {
  /** `candidate:...` strings, as in IceCandidate.candidate. */
  localCandidate: string;
  remoteCandidate: string;
}

export interface DataChannelOptions {
  ordered?: boolean;
  /** ms; not together with maxRetransmits (Kurento 40107). */
  maxPacketLifeTime?: number;
  maxRetransmits?: number;
  protocol?: string;
}

/** Events, as tuples of listener arguments (Node's typed EventEmitter). */
export interface WebRtcTransportEvents {
  iceCandidate: [IceCandidateInit];
  iceGatheringDone: [];
  iceComponentState: [IceComponentState];
  candidatePairSelected: [CandidatePair];
  dtlsState: [DtlsConnectionState];
  connectionState: [ConnectionState];
  /** Decrypted RTP (RTX already unwrapped); header extensions use this peer's ids. */
  rtp: [MediaKind, Buffer];
  /** One decrypted RTCP packet (compound packets are split). */
  rtcp: [Buffer];
  /** The peer asked for a keyframe (PLI or FIR on our SSRC). */
  keyframeRequested: [MediaKind];
  /** REMB received from the peer. */
  remb: [number];
  dataChannelOpened: [number, string];
  dataChannelClosed: [number];
  dataChannelMessage: [number, string | Buffer];
  /**
   * Something went wrong asynchronously inside the stack. Not called `error`: Node's
   * EventEmitter throws an `error` event that has no listener.
   */
  failure: [Error];
}
