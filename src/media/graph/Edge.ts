import type { EdgeSpec, MediaKind } from '../../shared/workerProtocol.ts';
import type { MediaNode } from './MediaNode.ts';
import type { MediaPacket, RtpCodecInfo } from './MediaPacket.ts';

/** What sits on a transcoding route (a Transcoder): it takes the source's packets and answers the sink's feedback. */
export interface RouteTarget {
  readonly id: string;
  push(pkt: MediaPacket): void;
  requestKeyframe(from: MediaNode): void;
  reportBandwidth(from: MediaNode, bps: number): void;
}

/**
 * How an edge carries packets of one source format: as they are, through a transcoder
 * (which delivers its output to the edge), or not at all. The graph decides which
 * (MediaGraph.route), never the sink itself.
 */
export type Route =
  | { readonly via: 'forward' }
  | { readonly via: 'transcode'; readonly target: RouteTarget }
  /** Not carried; decided again for a packet received from `retryAt` on (performance.now()), if set. */
  | { readonly via: 'none'; readonly reason: string; readonly retryAt?: number };

export type RouteFn = (edge: Edge, codec: RtpCodecInfo) => Route;

/**
 * One edge of a pipeline's graph, owned by the worker's MediaGraph: one media kind from
 * a source node's pad to a sink node's pad (Kurento's `ElementConnection`). Packets cross
 * it by `carry`, which applies the route chosen for the packet's format, decided once
 * per (edge, source format) and again whenever either end's formats change.
 * Feedback goes the other way: keyframe requests and bandwidth estimates from the sink
 * reach the source through the edge, so whatever sits on the route can answer them.
 */
export class Edge {
  readonly source: MediaNode;
  readonly sink: MediaNode;
  readonly kind: MediaKind;
  readonly sourceDescription: string;
  readonly sinkDescription: string;
  readonly #route: RouteFn;
  /** The source format last seen and the route chosen for it. */
  #format: RtpCodecInfo | undefined;
  #current: Route | undefined;
  #removed = false;

  constructor(source: MediaNode, sink: MediaNode, spec: EdgeSpec, route: RouteFn) {
    this.source = source;
    this.sink = sink;
    this.kind = spec.kind;
    this.sourceDescription = spec.sourceDescription;
    this.sinkDescription = spec.sinkDescription;
    this.#route = route;
  }

  /** Key of the sink input this edge feeds: one edge per (kind, sink description). */
  get inputKey(): string {
    return `${this.kind}/${this.sinkDescription}`;
  }

  get removed(): boolean {
    return this.#removed;
  }

  /** The route chosen for the last format seen (undefined before the first packet). */
  get route(): Route | undefined {
    return this.#current;
  }

  /** A packet from the source: to the sink as the route says. */
  carry(kind: 'AUDIO' | 'VIDEO', pkt: MediaPacket): void {
    let route = this.#current;
    if (pkt.codec !== this.#format || (route?.via === 'none' && route.retryAt !== undefined && pkt.at >= route.retryAt)) {
      this.#format = pkt.codec;
      this.#current = route = this.#route(this, pkt.codec);
    }
    route = route!;
    if (route.via === 'forward') this.deliver(kind, pkt);
    else if (route.via === 'transcode') route.target.push(pkt);
  }

  /** Hands a packet to the sink: the source's own, or a transcoder's output. */
  deliver(kind: 'AUDIO' | 'VIDEO', pkt: MediaPacket): void {
    const meter = this.sink.latency;
    if (!meter) {
      this.sink.deliver(kind, pkt);
      return;
    }
    meter.input(kind, performance.now() - pkt.at);
    this.sink.deliver(kind, pkt);
    // Delivery is synchronous: when deliver returns, an endpoint has sent the packet.
    meter.output(kind, performance.now() - pkt.at);
  }

  /** Formats changed at either end (a new negotiation): decide again at the next packet. */
  reset(): void {
    this.#format = undefined;
    this.#current = undefined;
  }

  /** The sink asks for a keyframe. */
  requestKeyframe(from: MediaNode): void {
    if (this.#removed) return;
    if (this.#current?.via === 'transcode') this.#current.target.requestKeyframe(from);
    else this.source.requestKeyframe(from);
  }

  /** The sink reports the bitrate it can take (REMB). */
  reportBandwidth(from: MediaNode, bps: number): void {
    if (this.#removed) return;
    if (this.#current?.via === 'transcode') this.#current.target.reportBandwidth(from, bps);
    else this.source.reportBandwidth(from, bps);
  }

  markRemoved(): void {
    this.#removed = true;
  }
}
