import { KurentoError } from '../shared/KurentoError.ts';
import { parseTurnUrl, redactTurnUrl, TURN_URL_FORM } from '../shared/turnUrl.ts';
import { BaseRtpEndpoint } from './BaseRtpEndpoint.ts';
import { offerWithCredentials } from '../shared/iceRestart.ts';
import type { ObjectInit, Params } from '../core/types.ts';
import type { EventMessage, IceSettings, MediaEvents } from '../shared/workerProtocol.ts';

/** `WebRtcEndpoint.conf.ini` keys (Kurento names) that seed the ICE properties. */
const CONFIG_KEYS: ReadonlyArray<[prop: string, key: string, kind: 'string' | 'int' | 'boolean']> = [
  ['stunServerAddress', 'stunServerAddress', 'string'],
  ['stunServerPort', 'stunServerPort', 'int'],
  ['turnUrl', 'turnURL', 'string'],
  ['networkInterfaces', 'networkInterfaces', 'string'],
  ['externalIPv4', 'externalIPv4', 'string'],
  ['externalIPv6', 'externalIPv6', 'string'],
  ['iceTcp', 'iceTcp', 'boolean'],
];

/** Properties that change how the node gathers candidates. */
const ICE_PROPERTIES = new Set(CONFIG_KEYS.map(([p]) => p));

/**
 * KMD `WebRtcEndpoint`: ICE, DTLS-SRTP and data channels towards a browser or any
 * WebRTC peer. The transport lives in the media worker (WebRtcEndpointNode); this class holds
 * the Kurento-visible state and checks (conformance notes f).
 */
export class WebRtcEndpoint extends BaseRtpEndpoint {
  readonly #useDataChannels: boolean;
  readonly #pairs: Array<MediaEvents['NewCandidatePairSelected']['candidatePair']> = [];
  readonly #ice = new Map<string, { streamId: string; componentId: number; state: string }>();
  readonly #dtls = new Map<string, MediaEvents['DtlsConnectionStateChange']>();

  constructor(init: ObjectInit, params: Params) {
    super(init);
    this.#useDataChannels = params.useDataChannels === true;
    const conf = init.settings.modules.WebRtcEndpoint ?? {};
    for (const [prop, key, kind] of CONFIG_KEYS) {
      const raw = conf[key];
      if (raw === undefined || raw === '') continue;
      const value = kind === 'int' ? Number.parseInt(raw, 10) : kind === 'boolean' ? /^(true|1|yes)$/i.test(raw) : raw;
      if (kind === 'int' && !Number.isFinite(value)) continue;
      super.setProperty(prop, value);
    }
    this.createMedia('WebRtcEndpoint', {
      recvonly: params.recvonly === true,
      sendonly: params.sendonly === true,
      useDataChannels: this.#useDataChannels,
      certificateKeyType: String(params.certificateKeyType ?? 'RSA'),
      // Kurento: the endpoint's certificateKeyType picks which configured PEM it presents.
      certificateFile: (params.certificateKeyType === 'ECDSA' ? conf.pemCertificateECDSA : conf.pemCertificateRSA) || null,
      ice: this.#iceSettings(),
      minPort: conf.minPort ?? null,
      maxPort: conf.maxPort ?? null,
      iceConnectTimeout: iceConnectTimeout(conf.iceConnectTimeout),
    });
  }

  #iceSettings(): IceSettings {
    const out: Record<string, unknown> = {};
    for (const p of ICE_PROPERTIES) {
      const v = this.getProperty(p);
      if (v !== undefined) out[p] = v;
    }
    return out as IceSettings;
  }

  /**
   * A bad TURN URL is refused where it is set (setTurnUrl, or `create`'s properties)
   * with MEDIA_OBJECT_ILLEGAL_PARAM_ERROR. Kurento accepts the call, raises an Error
   * event ("URL ... not allowed") and gathers without TURN; failing the call itself
   * tells the application at once which value is wrong (the password is masked).
   */
  override setProperty(name: string, value: unknown): void {
    if (name === 'turnUrl' && typeof value === 'string' && value.trim() !== '') {
      const turn = parseTurnUrl(value);
      if (!turn.ok) {
        throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `turnUrl must be ${TURN_URL_FORM}: ${turn.reason}, got '${redactTurnUrl(value)}'`);
      }
      this.#checkDestination('turnUrl', turn.server.host);
    }
    if (name === 'stunServerAddress' && typeof value === 'string' && value.trim() !== '') this.#checkDestination(name, value.trim());
    super.setProperty(name, value);
  }

  /**
   * STUN and TURN servers a client sets are refused when their address is denied
   * (mediaServer.security.deniedDestinations); those of WebRtcEndpoint.conf.ini are
   * the operator's and not checked.
   */
  #checkDestination(what: string, host: string): void {
    const refused = this.settings.destinations?.refuses(host);
    if (refused) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `${what} refused: ${refused}`);
  }

  /** Why the server may not send to this candidate's address, or undefined (RFC 8839 section 5.1: the address is the fifth field). */
  #candidateRefused(candidate: string): string | undefined {
    const address = candidate.replace(/^a=/, '').trim().split(/\s+/)[4];
    return address === undefined ? undefined : this.settings.destinations?.refuses(address);
  }

  /** A remote description without the candidates the server may not send to. */
  #withoutRefusedCandidates(sdp: unknown): unknown {
    if (typeof sdp !== 'string' || !this.settings.destinations?.restrictive) return sdp;
    return sdp.split(/(?<=\n)/).filter((line) => !line.startsWith('a=candidate:') || !this.#candidateRefused(line)).join('');
  }

  override processOffer(p: Params): Promise<string> {
    return super.processOffer({ ...p, offer: this.#withoutRefusedCandidates(p.offer) });
  }

  override processAnswer(p: Params): Promise<string> {
    return super.processAnswer({ ...p, answer: this.#withoutRefusedCandidates(p.answer) });
  }

  protected override propertyChanged(name: string, value: unknown): void {
    if (ICE_PROPERTIES.has(name)) {
      this.mediaPost('setIce', this.#iceSettings());
      return;
    }
    super.propertyChanged(name, value);
  }

  async gatherCandidates(_p: Params): Promise<void> {
    await this.mediaCall('gatherCandidates', {});
  }

  /**
   * An ICE restart asked by the peer with new credentials (WHIP/WHEP's PATCH, RFC 9725
   * §4.3.2): not a Kurento method (KMS answers a second processOffer with 40208, and so
   * does Fluo), so no client can call it over JSON-RPC. Resolves to the new local SDP,
   * which carries Fluo's new credentials and candidates.
   */
  restartIce(ufrag: string, pwd: string): Promise<string> {
    return this.renegotiate(async (remote) => {
      const local = await this.mediaCall('restartIce', { ufrag, pwd });
      return { local, remote: offerWithCredentials(remote, ufrag, pwd) };
    });
  }

  async addIceCandidate(p: Params): Promise<void> {
    const c = p.candidate as { candidate: string; sdpMid: string; sdpMLineIndex: number };
    const refused = this.#candidateRefused(c.candidate);
    if (refused) throw new KurentoError('ICE_ADD_CANDIDATE_ERROR', `Candidate refused: ${refused}`);
    await this.mediaCall('addIceCandidate', { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
  }

  async createDataChannel(p: Params): Promise<void> {
    if (!this.#useDataChannels) {
      throw new KurentoError('MEDIA_OBJECT_OPERATION_NOT_SUPPORTED', 'Data channels are not enabled: create the endpoint with useDataChannels');
    }
    const maxPacketLifeTime = p.maxPacketLifeTime as number;
    const maxRetransmits = p.maxRetransmits as number;
    if (maxPacketLifeTime !== -1 && maxRetransmits !== -1) {
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', 'maxPacketLifeTime and maxRetransmits cannot both be set (RFC 8831 §6.6)');
    }
    await this.mediaCall('createDataChannel', {
      label: p.label as string, ordered: p.ordered as boolean, maxPacketLifeTime, maxRetransmits, protocol: p.protocol as string,
    });
  }

  async closeDataChannel(p: Params): Promise<void> {
    if (!this.#useDataChannels) {
      throw new KurentoError('MEDIA_OBJECT_OPERATION_NOT_SUPPORTED', 'Data channels are not enabled: create the endpoint with useDataChannels');
    }
    await this.mediaCall('closeDataChannel', { channelId: p.channelId as number });
  }

  getICECandidatePairs(): Array<MediaEvents['NewCandidatePairSelected']['candidatePair']> {
    return this.#pairs;
  }

  getIceConnectionState(): Array<{ streamId: string; componentId: number; state: string }> {
    return [...this.#ice.values()];
  }

  getDtlsConnectionState(): Array<MediaEvents['DtlsConnectionStateChange']> {
    return [...this.#dtls.values()];
  }

  override mediaEvent(event: EventMessage): void {
    switch (event.name) {
      case 'NewCandidatePairSelected':
        this.#pairs.push(event.data.candidatePair);
        break;
      case 'IceComponentStateChanged': {
        const d = event.data;
        this.#ice.set(`${d.streamId}/${d.componentId}`, { streamId: String(d.streamId), componentId: d.componentId ?? 1, state: d.state ?? 'DISCONNECTED' });
        break;
      }
      case 'DtlsConnectionStateChange':
        this.#dtls.set(event.data.connectionId, event.data);
        break;
      case 'LocalDescriptionUpdated':
        this.updateLocalDescriptor(event.data.sdp);
        return;
    }
    super.mediaEvent(event);
  }
}

/**
 * WebRtcEndpoint.conf.ini `iceConnectTimeout` (Fluo addition): seconds, 0 turns it off,
 * default 60. An unreadable value keeps the default rather than failing every create.
 */
function iceConnectTimeout(raw: string | undefined): number {
  const v = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return Number.isFinite(v) && v >= 0 ? v : DEFAULT_ICE_CONNECT_TIMEOUT_S;
}

const DEFAULT_ICE_CONNECT_TIMEOUT_S = 60;
