import { MediaNode } from '../graph/MediaNode.ts';
import type { BaseOps, NodeOpHandlers, OfferOptions, StatsMap, Wire } from '../../shared/workerProtocol.ts';
import { mediaCounters } from '../worker/mediaCounters.ts';

/** The operations every SdpEndpoint node answers (the protocol table's SdpOps). */
type SdpHandlers = Pick<NodeOpHandlers<'RtpEndpoint'>, BaseOps | 'processOffer' | 'generateOffer' | 'processAnswer' | 'requestKeyframe'>;

/** Minimum time between two keyframe requests sent to a peer (coalesces many sinks). */
export const KEYFRAME_INTERVAL_MS = 300;

/**
 * What the media sides of SdpEndpoints (WebRtcEndpointNode, RtpEndpointNode) share: the SDP operations
 * the control plane calls, stats, and keyframe requests rate-limited towards the peer
 * (many sinks asking at once cost the sender one keyframe, RFC 4585 §3.5.2 spirit).
 */
export abstract class SdpEndpointNode extends MediaNode {
  #lastKeyframeRequest = -Infinity;
  #keyframeRequestsSent = 0;
  #keyframeRequestsCoalesced = 0;

  protected abstract processOffer(offer: string): Promise<string>;
  protected abstract generateOffer(options: OfferOptions): Promise<string>;
  protected abstract processAnswer(answer: string): Promise<string>;
  protected abstract stats(mediaType: string | null): Wire | Promise<Wire>;
  /** Sends the actual keyframe request (PLI) to the peer; false when it cannot yet. */
  protected abstract sendKeyframeRequest(): boolean;

  override requestKeyframe(from: MediaNode): void {
    const now = performance.now();
    // Coalesced only when the asking sink could take the keyframe the last request
    // brings: a sink that became ready since (a viewer whose DTLS just came up) would
    // otherwise wait for the next one, and its first picture with it.
    if (now - this.#lastKeyframeRequest < KEYFRAME_INTERVAL_MS && from.readySince <= this.#lastKeyframeRequest) {
      this.#keyframeRequestsCoalesced++;
      mediaCounters.keyframeRequestsCoalesced++;
      return;
    }
    if (this.sendKeyframeRequest()) {
      this.#lastKeyframeRequest = now;
      this.#keyframeRequestsSent++;
      mediaCounters.keyframeRequestsSent++;
    }
  }

  async #statsWithElement(mediaType: string | null): Promise<StatsMap> {
    const out = ((await this.stats(mediaType)) ?? {}) as StatsMap;
    // Fluo's additions to EndpointStats: keyframe requests sent to the peer, and those
    // coalesced by the rate limit (a PLI flood from sinks shows here, not at the peer).
    out[this.id] = {
      ...this.elementStats(mediaType, 'EndpointStats'),
      keyframeRequestsSent: this.#keyframeRequestsSent, keyframeRequestsCoalesced: this.#keyframeRequestsCoalesced,
    };
    return out;
  }

  protected override operations(): SdpHandlers {
    return {
      ...super.operations(),
      processOffer: (a) => this.processOffer(String(a.offer)),
      generateOffer: (a) => this.generateOffer(a),
      processAnswer: (a) => this.processAnswer(String(a.answer)),
      requestKeyframe: () => { this.requestKeyframe(this); return null; },
      getStats: (a) => this.#statsWithElement(a.mediaType ?? null),
    };
  }
}
