import type { EdgeSpec, EmitFn } from '../../shared/workerProtocol.ts';
import { Edge, type Route } from './Edge.ts';
import { LatencyMeter } from './LatencyMeter.ts';
import type { FormatSet, GraphHooks, MediaNode } from './MediaNode.ts';
import { codecKey, codecsCompatible, describeCodec, type RtpCodecInfo } from './MediaPacket.ts';
import type { MediaEngine } from '../engine/MediaEngine.ts';
import { Transcoder, type TranscoderOwner } from '../transcode/Transcoder.ts';
import { canTranscode, formatKey } from '../transcode/formats.ts';

const FORWARD: Route = { via: 'forward' };
/** After a transcoder failed, its edges wait this long before another is started (ms). */
const TRANSCODER_RETRY_MS = 2000;

/**
 * The media graph of one pipeline in a media worker: its nodes and the edges between
 * them, mirrored from the control plane's element connections. The graph owns the
 * edges and decides, per edge and source format, how packets cross it (as Kurento's
 * agnosticbin does between two elements): forwarded as they are when the sink accepts
 * the format, otherwise through a transcoder of the media engine, one per (source,
 * source format, target format), shared by every sink edge that needs that target and
 * removed with the last of them. A format nothing can turn into what the sink takes is
 * reported once by the sink with `MediaTranscodingStateChanged` and an `Error`
 * (UNSUPPORTED_MEDIA_TYPE). Forwarding never starts the engine.
 */
export class MediaGraph implements GraphHooks {
  readonly id: string;
  readonly #nodes = new Map<string, MediaNode>();
  readonly #edges = new Set<Edge>();
  /** Formats already reported as impossible on an edge (one report each). */
  readonly #reported = new WeakMap<Edge, Set<string>>();
  readonly #emitFor: (object: string) => EmitFn;
  readonly #engine: MediaEngine | undefined;
  readonly #transcoders = new Map<string, Transcoder>();
  readonly #attached = new Map<Edge, Transcoder>();
  /** Transcoder keys that failed, and until when their edges wait (performance.now()). */
  readonly #retryAfter = new Map<string, number>();
  #transcoderCount = 0;
  #latencyOn = false;

  constructor(id: string, emitFor: (object: string) => EmitFn, engine?: MediaEngine) {
    this.id = id;
    this.#emitFor = emitFor;
    this.#engine = engine;
  }

  /** Transcoders running or starting now. */
  transcoders(): Transcoder[] {
    return [...this.#transcoders.values()];
  }

  get size(): number {
    return this.#nodes.size;
  }

  node(id: string): MediaNode | undefined {
    return this.#nodes.get(id);
  }

  nodes(): MediaNode[] {
    return [...this.#nodes.values()];
  }

  edges(): Edge[] {
    return [...this.#edges];
  }

  add(node: MediaNode): void {
    node.graph = this;
    if (this.#latencyOn) node.latency = new LatencyMeter();
    this.#nodes.set(node.id, node);
  }

  /**
   * Adds an edge. A sink input has one source (Kurento: connecting another source to
   * the same sink pad replaces the connection), so the edge it replaces goes first.
   */
  link(spec: EdgeSpec): Edge | undefined {
    const source = this.#nodes.get(spec.source);
    const sink = this.#nodes.get(spec.sink);
    if (!source || !sink) return undefined;
    const key = `${spec.kind}/${spec.sinkDescription}`;
    const old = sink.inputs.get(key);
    if (old && old.source === source && old.sourceDescription === spec.sourceDescription) return old;
    if (old) this.#remove(old, true);
    const edge = new Edge(source, sink, spec, (e, codec) => this.route(e, codec));
    this.#edges.add(edge);
    source.outputs[spec.kind].push(edge);
    sink.inputs.set(key, edge);
    sink.inputChanged(spec.kind, edge);
    source.outputAdded(edge);
    return edge;
  }

  unlink(spec: EdgeSpec): void {
    const sink = this.#nodes.get(spec.sink);
    const edge = sink?.inputs.get(`${spec.kind}/${spec.sinkDescription}`);
    if (edge && edge.source.id === spec.source && edge.sourceDescription === spec.sourceDescription) this.#remove(edge, false);
  }

  #remove(edge: Edge, replaced: boolean): void {
    if (!this.#edges.delete(edge)) return;
    this.#detach(edge);
    edge.markRemoved();
    const outs = edge.source.outputs[edge.kind];
    const i = outs.indexOf(edge);
    if (i >= 0) outs.splice(i, 1);
    if (edge.sink.inputs.get(edge.inputKey) === edge) edge.sink.inputs.delete(edge.inputKey);
    edge.source.outputRemoved(edge);
    if (!replaced) edge.sink.inputChanged(edge.kind, undefined);
  }

  /** Takes a node out with its edges; the caller closes it. */
  remove(id: string): MediaNode | undefined {
    const node = this.#nodes.get(id);
    if (!node) return undefined;
    for (const e of [...this.#edges]) if (e.source === node || e.sink === node) this.#remove(e, false);
    this.#nodes.delete(id);
    node.graph = undefined;
    return node;
  }

  /** MediaPipeline.latencyStats: every node of the pipeline measures, or none does. */
  setLatencyStats(on: boolean): void {
    this.#latencyOn = on;
    for (const node of this.#nodes.values()) node.latency = on ? node.latency ?? new LatencyMeter() : undefined;
  }

  formatsChanged(node: MediaNode): void {
    for (const e of this.#edges) {
      if (e.source !== node && e.sink !== node) continue;
      this.#detach(e);
      e.reset();
      // A source that encodes for its sinks (a filter) chooses their formats again.
      if (e.sink === node && e.source !== node) e.source.outputChanged(e);
      else if (e.source === node && e.sink !== node) e.sink.sourceFormatsChanged(e);
    }
  }

  /** How packets of `codec` cross `edge`: decided once per format, not per packet. */
  route(edge: Edge, codec: RtpCodecInfo): Route {
    this.#detach(edge);
    if (edge.kind === 'DATA') return FORWARD;
    const kind = edge.kind;
    const accepts = withForcedFormat(edge.sink.accepts(kind), edge.sink.forcedFormat(kind));
    if (accepts === 'any' || accepts.some((c) => codecsCompatible(codec, c))) return FORWARD;
    // Nothing negotiated to send this kind (a recvonly peer, no SDP yet): nothing to say.
    if (accepts.length === 0) return { via: 'none', reason: `${edge.sink.id} sends no ${kind}` };
    // The sink's formats in its order of preference: the first the engine can make.
    const target = this.#engine ? accepts.find((c) => canTranscode(kind, codec, c)) : undefined;
    if (target) {
      const key = `${edge.source.id}|${kind}|${formatKey(codec)}|${formatKey(target)}`;
      const retryAt = this.#retryAfter.get(key) ?? 0;
      if (retryAt > performance.now()) return { via: 'none', reason: 'the transcoder failed a moment ago', retryAt };
      let t = this.#transcoders.get(key);
      if (!t) {
        t = new Transcoder(`transcoder-${++this.#transcoderCount}`, key, this.#owner(), edge.source, kind, codec, target);
        this.#transcoders.set(key, t);
        void t.start();
      }
      this.#attached.set(edge, t);
      t.attach(edge);
      return { via: 'transcode', target: t };
    }
    const reason = `The source sends ${describeCodec(codec)} but ${edge.sink.kind} ${edge.sink.id} negotiated ${accepts.map(describeCodec).join(', ')}, which Fluo cannot transcode it to; ${kind} is not forwarded`;
    this.#report(edge, codec, reason);
    return { via: 'none', reason };
  }

  #owner(): TranscoderOwner {
    return {
      engine: this.#engine!,
      pipeline: this.id,
      emitFor: this.#emitFor,
      lost: (t) => {
        if (this.#transcoders.get(t.key) === t) this.#transcoders.delete(t.key);
        this.#retryAfter.set(t.key, performance.now() + TRANSCODER_RETRY_MS);
        for (const [edge, tt] of [...this.#attached]) {
          if (tt !== t) continue;
          this.#attached.delete(edge);
          edge.reset();
        }
      },
    };
  }

  /** Takes an edge off its transcoder; the transcoder closes with its last edge. */
  #detach(edge: Edge): void {
    const t = this.#attached.get(edge);
    if (!t) return;
    this.#attached.delete(edge);
    t.detach(edge);
    if (t.edgeCount === 0 && this.#transcoders.get(t.key) === t) this.#transcoders.delete(t.key);
  }

  /** The pipeline is released: its engine part goes (the nodes were removed first). */
  async close(): Promise<void> {
    await Promise.all([...this.#transcoders.values()].map((t) => t.close()));
    this.#transcoders.clear();
    await this.#engine?.releasePipeline(this.id);
  }

  #report(edge: Edge, codec: RtpCodecInfo, reason: string): void {
    let seen = this.#reported.get(edge);
    if (!seen) this.#reported.set(edge, (seen = new Set()));
    const key = `${codecKey(codec)}:${codec.fmtp ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    // Kurento's sink reports the state of its input's transcoding (KMD MediaElement,
    // MediaTranscodingStateChanged); the error says why nothing arrives.
    const emit = this.#emitFor(edge.sink.id);
    emit('MediaTranscodingStateChanged', { state: 'NOT_TRANSCODING', binName: edge.sinkDescription, mediaType: edge.kind });
    emit('Error', { description: reason, errorCode: 40005, type: 'UNSUPPORTED_MEDIA_TYPE' });
  }
}

/** Canonical RTP formats of codecs an element may be told to take (setVideoFormat/setAudioFormat). */
const CANONICAL: Record<string, RtpCodecInfo> = {
  vp8: { name: 'VP8', clockRate: 90000 },
  vp9: { name: 'VP9', clockRate: 90000 },
  h264: { name: 'H264', clockRate: 90000, fmtp: 'profile-level-id=42e01f;packetization-mode=1' },
  opus: { name: 'opus', clockRate: 48000, channels: 2 },
  pcmu: { name: 'PCMU', clockRate: 8000 },
  pcma: { name: 'PCMA', clockRate: 8000 },
};

/**
 * What a sink accepts once setVideoFormat/setAudioFormat forced a codec: its own
 * formats of that codec (none, if it negotiated none: the route then says so), or,
 * for a sink that takes anything, that codec's canonical format.
 */
function withForcedFormat(accepts: FormatSet, forced: string | undefined): FormatSet {
  if (!forced) return accepts;
  const name = forced.toLowerCase();
  if (accepts === 'any') return CANONICAL[name] ? [CANONICAL[name]!] : 'any';
  return accepts.filter((c) => c.name.toLowerCase() === name);
}
