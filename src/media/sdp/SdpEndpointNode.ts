import { MediaNode } from '../graph/MediaNode.ts';
import type { Wire } from '../../shared/workerProtocol.ts';

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
  protected abstract generateOffer(options: Record<string, Wire>): Promise<string>;
  protected abstract processAnswer(answer: string): Promise<string>;
  protected abstract stats(mediaType: string | null): Wire | Promise<Wire>;
  /** Sends the actual keyframe request (PLI) to the peer; false when it cannot yet. */
  protected abstract sendKeyframeRequest(): boolean;
  /** Operations of the subclass beyond the SDP ones. */
  protected otherCall(op: string, args: Record<string, Wire>): Promise<Wire> {
    return super.call(op, args);
  }

  override requestKeyframe(from: MediaNode): void {
    const now = performance.now();
    // Coalesced only when the asking sink could take the keyframe the last request
    // brings: a sink that became ready since (a viewer whose DTLS just came up) would
    // otherwise wait for the next one, and its first picture with it.
    if (now - this.#lastKeyframeRequest < KEYFRAME_INTERVAL_MS && from.readySince <= this.#lastKeyframeRequest) {
      this.#keyframeRequestsCoalesced++;
      return;
    }
    if (this.sendKeyframeRequest()) {
      this.#lastKeyframeRequest = now;
      this.#keyframeRequestsSent++;
    }
  }

  async #statsWithElement(mediaType: string | null): Promise<Wire> {
    const out = ((await this.stats(mediaType)) ?? {}) as Record<string, Wire>;
    // Fluo's additions to EndpointStats: keyframe requests sent to the peer, and those
    // coalesced by the rate limit (a PLI flood from sinks shows here, not at the peer).
    out[this.id] = {
      ...this.elementStats(mediaType, 'EndpointStats'),
      keyframeRequestsSent: this.#keyframeRequestsSent, keyframeRequestsCoalesced: this.#keyframeRequestsCoalesced,
    };
    return out;
  }

  override async call(op: string, args: Wire): Promise<Wire> {
    const a = (args ?? {}) as Record<string, Wire>;
    switch (op) {
      case 'processOffer': return this.processOffer(String(a.offer));
      case 'generateOffer': return this.generateOffer(a);
      case 'processAnswer': return this.processAnswer(String(a.answer));
      case 'requestKeyframe': this.requestKeyframe(this); return null;
      case 'getStats': return this.#statsWithElement((a.mediaType as string | null) ?? null);
      default: return this.otherCall(op, a);
    }
  }
}
