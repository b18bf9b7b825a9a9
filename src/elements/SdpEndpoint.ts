import { KurentoError } from '../shared/KurentoError.ts';
import { SessionEndpoint } from './SessionEndpoint.ts';
import type { Params } from '../core/types.ts';
import type { OfferOptions } from '../shared/workerProtocol.ts';

type Negotiation = 'idle' | 'busy' | 'offered' | 'done';

/**
 * KMD `SdpEndpoint`: the SDP offer/answer state machine shared by WebRtcEndpoint and
 * RtpEndpoint. The checks and their order are Kurento's (module-core sdpEndpoint tests,
 * conformance notes f): emptiness first (40201), then state (40208/40209/40210), then
 * parsing, which the media node does (40201 for SDP it cannot read).
 */
export class SdpEndpoint extends SessionEndpoint {
  #state: Negotiation = 'idle';
  #local: string | undefined;
  #remote: string | undefined;

  async generateOffer(p: Params): Promise<string> {
    if (this.#state !== 'idle') {
      throw new KurentoError('SDP_END_POINT_ALREADY_NEGOTIATED', 'Endpoint already negotiated');
    }
    this.#state = 'busy';
    try {
      const offer = await this.mediaCall('generateOffer', (p.options ?? {}) as OfferOptions);
      this.#local = offer;
      this.#state = 'offered';
      return offer;
    } catch (err) {
      this.#state = 'idle';
      throw err;
    }
  }

  async processOffer(p: Params): Promise<string> {
    const offer = p.offer as string;
    if (offer.trim() === '') throw new KurentoError('SDP_PARSE_ERROR', 'Empty offer not valid');
    if (this.#state !== 'idle') {
      throw new KurentoError('SDP_END_POINT_ALREADY_NEGOTIATED', 'Endpoint already negotiated');
    }
    this.#state = 'busy';
    try {
      const answer = await this.mediaCall('processOffer', { offer });
      this.#remote = offer;
      this.#local = answer;
      this.#state = 'done';
      return answer;
    } catch (err) {
      this.#state = 'idle';
      throw err;
    }
  }

  async processAnswer(p: Params): Promise<string> {
    const answer = p.answer as string;
    if (answer.trim() === '') throw new KurentoError('SDP_PARSE_ERROR', 'Empty answer not valid');
    if (this.#state === 'done') {
      throw new KurentoError('SDP_END_POINT_ANSWER_ALREADY_PROCCESED', 'Answer already processed');
    }
    if (this.#state !== 'offered') {
      throw new KurentoError('SDP_END_POINT_NOT_OFFER_GENERATED', 'No offer generated: call generateOffer first');
    }
    this.#state = 'busy';
    try {
      const local = await this.mediaCall('processAnswer', { answer });
      this.#remote = answer;
      this.#local = local || this.#local;
      this.#state = 'done';
      return this.#local!;
    } catch (err) {
      this.#state = 'offered';
      throw err;
    }
  }

  getLocalSessionDescriptor(): string {
    if (this.#local === undefined) throw new KurentoError('SDP_END_POINT_NO_LOCAL_SDP_ERROR', 'No local SDP');
    return this.#local;
  }

  getRemoteSessionDescriptor(): string {
    if (this.#remote === undefined) throw new KurentoError('SDP_END_POINT_NO_REMOTE_SDP_ERROR', 'No remote SDP');
    return this.#remote;
  }

  /** The node's view of the local SDP changed (candidates gathered into it). */
  protected updateLocalDescriptor(sdp: string): void {
    if (this.#local !== undefined) this.#local = sdp;
  }

  get negotiated(): boolean {
    return this.#state === 'done';
  }

  /**
   * Runs `step` on a negotiated endpoint, one SDP step at a time as the others, and
   * takes the descriptors it gives (an ICE restart changes both sides' credentials).
   */
  protected async renegotiate(step: (remote: string) => Promise<{ local: string; remote: string }>): Promise<string> {
    if (this.#state !== 'done') throw new KurentoError('SDP_END_POINT_NOT_OFFER_GENERATED', 'The endpoint has not negotiated yet');
    this.#state = 'busy';
    try {
      const { local, remote } = await step(this.#remote!);
      this.#local = local;
      this.#remote = remote;
      return local;
    } finally {
      this.#state = 'done';
    }
  }
}
