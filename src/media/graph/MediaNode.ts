import { KurentoError } from '../../shared/KurentoError.ts';
import type { MediaKind, Wire } from '../../shared/workerProtocol.ts';
import type { DataMessage, MediaPacket } from './MediaPacket.ts';
import { LatencyMeter } from './LatencyMeter.ts';

export type EmitFn = (name: string, data: Wire) => void;

/**
 * The media-plane side of an element, living in a media worker. It knows its links
 * (mirrored from the control plane's graph), moves packets downstream and feedback
 * (keyframe requests, bandwidth) upstream. It never sees JSON-RPC.
 */
export class MediaNode {
  readonly id: string;
  protected readonly emit: EmitFn;
  /** Downstream nodes per media kind. */
  readonly sinks: Record<MediaKind, Set<MediaNode>> = { AUDIO: new Set(), VIDEO: new Set(), DATA: new Set() };
  /** The one upstream node per media kind (one source per sink input). */
  readonly sources = new Map<MediaKind, MediaNode>();
  #closing: Promise<void> | undefined;
  /** Set while the pipeline's latencyStats is on (MediaHost 'setLatencyStats'). */
  latency: LatencyMeter | undefined;
  /**
   * Since when (performance.now()) this node can take media from its sources: a
   * keyframe sent before then never reached it. Elements without a transport of their
   * own always can; a WebRtcEndpoint only once its peer is connected.
   */
  readySince = 0;

  constructor(id: string, emit: EmitFn) {
    this.id = id;
    this.emit = emit;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** A packet from the source of `kind`. Default: pass it on unchanged (PassThrough). */
  deliver(kind: 'AUDIO' | 'VIDEO', pkt: MediaPacket): void {
    this.forward(kind, pkt);
  }

  deliverData(msg: DataMessage): void {
    this.forwardData(msg);
  }

  protected forward(kind: 'AUDIO' | 'VIDEO', pkt: MediaPacket): void {
    for (const s of this.sinks[kind]) {
      const meter = s.latency;
      if (!meter) {
        s.deliver(kind, pkt);
        continue;
      }
      meter.input(kind, performance.now() - pkt.at);
      s.deliver(kind, pkt);
      // Delivery is synchronous: when deliver returns, an endpoint has sent the packet.
      meter.output(kind, performance.now() - pkt.at);
    }
  }

  /** Element stats (KMD ElementStats); endpoints add their transport figures. */
  protected elementStats(mediaType: string | null, type = 'ElementStats'): Record<string, Wire> {
    const endpoint = type === 'EndpointStats';
    return {
      __type__: type, id: this.id, type: endpoint ? 'endpoint' : 'element', timestampMillis: Date.now(),
      ...(this.latency?.fields(endpoint, mediaType) ?? (endpoint ? { inputLatency: [], E2ELatency: [] } : { inputLatency: [] })),
    };
  }

  protected forwardData(msg: DataMessage): void {
    for (const s of this.sinks.DATA) s.deliverData(msg);
  }

  /** A sink asks for a keyframe. Default: ask our own source (PassThrough). */
  requestKeyframe(from: MediaNode): void {
    this.sources.get('VIDEO')?.requestKeyframe(from);
  }

  /** A sink reports the bitrate it can take (REMB). Default: pass the estimate upstream. */
  reportBandwidth(from: MediaNode, bps: number): void {
    this.sources.get('VIDEO')?.reportBandwidth(from, bps);
  }

  /** Graph hooks: a sink was added/removed, or our source changed. */
  sinkAdded(kind: MediaKind, sink: MediaNode): void {
    // A sink that cannot take media yet asks when it can (WebRtcEndpointNode, once connected):
    // a keyframe now would be lost on it, and the sender may then refuse the useful
    // request a moment later (libwebrtc honours one per 300 ms).
    if (kind === 'VIDEO' && sink.readySince <= performance.now()) this.requestKeyframe(sink);
  }

  sinkRemoved(_kind: MediaKind, _sink: MediaNode): void {}

  sourceChanged(_kind: MediaKind, _source: MediaNode | undefined): void {}

  /** An element-specific operation from the control plane. */
  async call(op: string, args: Wire): Promise<Wire> {
    if (op === 'getStats') {
      const mediaType = ((args ?? {}) as Record<string, Wire>).mediaType;
      return { [this.id]: this.elementStats(typeof mediaType === 'string' ? mediaType : null) };
    }
    throw new KurentoError('NOT_IMPLEMENTED', `media operation '${op}' is not supported by this element`);
  }

  /**
   * Frees sockets and timers. Idempotent; links are removed by the host. The promise
   * settles once every socket is closed (some close asynchronously, as werift's do).
   */
  close(): Promise<void> {
    if (this.#closing) return this.#closing;
    try {
      this.#closing = Promise.resolve(this.onClose());
    } catch (err) {
      this.#closing = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.#closing;
  }

  protected onClose(): void | Promise<void> {}
}
