import type { EdgeSpec, EmitFn } from '../../shared/workerProtocol.ts';
import { Edge, type Route } from './Edge.ts';
import { LatencyMeter } from './LatencyMeter.ts';
import type { GraphHooks, MediaNode } from './MediaNode.ts';
import { codecKey, codecsCompatible, describeCodec, type RtpCodecInfo } from './MediaPacket.ts';

const FORWARD: Route = { via: 'forward' };

/**
 * The media graph of one pipeline in a media worker: its nodes and the edges between
 * them, mirrored from the control plane's element connections. The graph owns the
 * edges and decides, per edge and source format, how packets cross it (as Kurento's
 * agnosticbin does between two elements): forwarded as they are when the sink accepts
 * the format, otherwise through a transcoder; until the media engine provides one,
 * not at all, which the sink reports once with `MediaTranscodingStateChanged` and an
 * `Error` (UNSUPPORTED_MEDIA_TYPE).
 */
export class MediaGraph implements GraphHooks {
  readonly id: string;
  readonly #nodes = new Map<string, MediaNode>();
  readonly #edges = new Set<Edge>();
  /** Formats already reported as impossible on an edge (one report each). */
  readonly #reported = new WeakMap<Edge, Set<string>>();
  readonly #emitFor: (object: string) => EmitFn;
  #latencyOn = false;

  constructor(id: string, emitFor: (object: string) => EmitFn) {
    this.id = id;
    this.#emitFor = emitFor;
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
    for (const e of this.#edges) if (e.source === node || e.sink === node) e.reset();
  }

  /** How packets of `codec` cross `edge`: decided once per format, not per packet. */
  route(edge: Edge, codec: RtpCodecInfo): Route {
    if (edge.kind === 'DATA') return FORWARD;
    const accepts = edge.sink.accepts(edge.kind);
    if (accepts === 'any' || accepts.some((c) => codecsCompatible(codec, c))) return FORWARD;
    // Nothing negotiated to send this kind (a recvonly peer, no SDP yet): nothing to say.
    if (accepts.length === 0) return { via: 'none', reason: `${edge.sink.id} sends no ${edge.kind}` };
    const reason = `The source sends ${describeCodec(codec)} but ${edge.sink.kind} ${edge.sink.id} negotiated ${accepts.map(describeCodec).join(', ')}; Fluo does not transcode yet, ${edge.kind} is not forwarded`;
    this.#report(edge, codec, reason);
    return { via: 'none', reason };
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
