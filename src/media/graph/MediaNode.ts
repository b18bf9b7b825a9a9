import { sendBatch } from '../rtp/SendBatch.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import type { BaseOps, EmitFn, MediaKind, NodeKind, OpArgs, OpHandlers, OpName, OpResult, Wire } from '../../shared/workerProtocol.ts';
import type { DataMessage, MediaPacket, RtpCodecInfo } from './MediaPacket.ts';
import type { Edge } from './Edge.ts';
import { LatencyMeter } from './LatencyMeter.ts';
import type { EncoderBitrates } from '../transcode/encoderBounds.ts';

export type { EmitFn } from '../../shared/workerProtocol.ts';

/** Formats a node takes or gives on one media kind: a list, or any format at all. */
export type FormatSet = readonly RtpCodecInfo[] | 'any';

/** What a node may tell its graph. */
export interface GraphHooks {
  /** The node's accepted or produced formats changed (a negotiation): routes are decided again. */
  formatsChanged(node: MediaNode): void;
}

type AnyHandlers = Partial<Record<OpName, (args: never) => unknown>>;

/**
 * The media-plane side of a media object (an element, later a hub), living in a media
 * worker. Its edges belong to the worker's MediaGraph, which fills `outputs` and
 * `inputs`; the node moves packets downstream along its output edges and feedback
 * (keyframe requests, bandwidth) upstream along its input edges. It declares the
 * formats it accepts and produces, and the graph decides per edge whether a packet is
 * forwarded as is (or, with the engine, transcoded); a node never sees JSON-RPC.
 */
export class MediaNode {
  readonly id: string;
  readonly kind: NodeKind;
  protected readonly emit: EmitFn;
  /** Output edges per media kind, in link order (filled by MediaGraph). */
  readonly outputs: Record<MediaKind, Edge[]> = { AUDIO: [], VIDEO: [], DATA: [] };
  #signallingEos = false;
  /** Input edges by `kind/sinkDescription`: one source per sink input (filled by MediaGraph). */
  readonly inputs = new Map<string, Edge>();
  /** Set by the graph the node is placed in. */
  graph: GraphHooks | undefined;
  #closing: Promise<void> | undefined;
  /** Set while the pipeline's latencyStats is on (MediaHost 'setLatencyStats'). */
  latency: LatencyMeter | undefined;
  /**
   * Since when (performance.now()) this node can take media from its sources: a
   * keyframe sent before then never reached it. Elements without a transport of their
   * own always can; a WebRtcEndpoint only once its peer is connected.
   */
  readySince = 0;
  /**
   * Whether this sink can ask its source for a keyframe when it needs one (a lost
   * packet, a late start). Endpoints whose peer negotiated no PLI or FIR cannot: an
   * encoder feeding one makes keyframes on its own (EncoderControl).
   */
  get asksForKeyframes(): boolean {
    return true;
  }

  constructor(id: string, emit: EmitFn, kind: NodeKind = 'PassThrough') {
    this.id = id;
    this.emit = emit;
    this.kind = kind;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  // ---- formats -------------------------------------------------------------------

  /** What this node can take on `kind`. Default: anything (it passes packets on). */
  accepts(_kind: 'AUDIO' | 'VIDEO'): FormatSet {
    return 'any';
  }

  /** What this node may send on `kind`. Default: what its own source sends. */
  produces(kind: 'AUDIO' | 'VIDEO', seen: Set<MediaNode> = new Set()): FormatSet {
    const up = this.input(kind)?.source;
    if (!up || seen.has(this)) return [];
    seen.add(this);
    return up.produces(kind, seen);
  }

  /** The codec (name) `setFormat` requires on this node's input of `kind`, if any. */
  forcedFormat(kind: 'AUDIO' | 'VIDEO'): string | undefined {
    return this.#forced[kind];
  }

  readonly #forced: Partial<Record<'AUDIO' | 'VIDEO', string>> = {};

  /** Tells the graph that a negotiation changed what this node accepts or produces. */
  protected formatsChanged(): void {
    this.graph?.formatsChanged(this);
  }

  // ---- packets -------------------------------------------------------------------

  /** The edge feeding this node's default input of `kind`. */
  input(kind: MediaKind): Edge | undefined {
    return this.inputs.get(`${kind}/default`);
  }

  /** A packet from the source of `kind`. Default: pass it on unchanged (PassThrough). */
  deliver(kind: 'AUDIO' | 'VIDEO', pkt: MediaPacket): void {
    this.forward(kind, pkt);
  }

  deliverData(msg: DataMessage): void {
    this.forwardData(msg);
  }

  protected forward(kind: 'AUDIO' | 'VIDEO', pkt: MediaPacket): void {
    const outputs = this.outputs[kind];
    // Several sinks: their WebRTC copies go out together when the fan-out ends (SendBatch).
    if (sendBatch && outputs.length > 1) {
      sendBatch.hold();
      try {
        for (const e of outputs) e.carry(kind, pkt);
      } finally {
        sendBatch.release();
      }
      return;
    }
    for (const e of outputs) e.carry(kind, pkt);
  }

  protected forwardData(msg: DataMessage): void {
    for (const e of this.outputs.DATA) e.sink.deliverData(msg);
  }

  /** A sink asks for a keyframe. Default: ask our own source (PassThrough). */
  requestKeyframe(from: MediaNode): void {
    this.input('VIDEO')?.requestKeyframe(from);
  }

  /** A sink reports the bitrate it can take (REMB). Default: pass the estimate upstream. */
  reportBandwidth(from: MediaNode, bps: number): void {
    this.input('VIDEO')?.reportBandwidth(from, bps);
  }

  /**
   * The source feeding `edge` ended its stream (a PlayerEndpoint reached the end of its
   * file). Default: tell our own sinks, as a PassThrough passes EOS on.
   */
  endOfStream(_edge: Edge): void {
    this.signalEndOfStream();
  }

  /**
   * Tells every sink that this node's stream ended (GStreamer's EOS, across the graph).
   * A graph may be a loop (the tutorials' `WebRtc → filter → the same WebRtc`, one of
   * its edges DATA): the end goes round it once, not until the stack overflows.
   */
  protected signalEndOfStream(): void {
    if (this.#signallingEos) return;
    this.#signallingEos = true;
    try {
      for (const kind of ['AUDIO', 'VIDEO', 'DATA'] as const) for (const e of this.outputs[kind]) e.sink.endOfStream(e);
    } finally {
      this.#signallingEos = false;
    }
  }

  // ---- graph hooks ---------------------------------------------------------------

  /** An output edge was added. */
  outputAdded(edge: Edge): void {
    // A sink that cannot take media yet asks when it can (WebRtcEndpointNode, once
    // connected): a keyframe now would be lost on it, and the sender may then refuse
    // the useful request a moment later (libwebrtc honours one per 300 ms).
    if (edge.kind === 'VIDEO' && edge.sink.readySince <= performance.now()) this.requestKeyframe(edge.sink);
  }

  outputRemoved(_edge: Edge): void {}

  /** The sink of an output edge negotiated other formats. */
  outputChanged(_edge: Edge): void {}

  /** The source of an input edge negotiated other formats (a pipe tells its far end). */
  sourceFormatsChanged(_edge: Edge): void {}

  /** An input edge was added (replacing the one before on the same input) or removed (`edge` undefined). */
  inputChanged(_kind: MediaKind, _edge: Edge | undefined): void {}

  /**
   * The media of `kind` this node gets from the graph stopped for a known reason (the
   * engine process transcoding it died): a node whose flow that media drives reports
   * NOT_FLOWING now (Kurento's MediaFlow*StateChanged), instead of after the quiet
   * period, which a quick recovery could hide.
   */
  upstreamLost(_kind: 'AUDIO' | 'VIDEO'): void {}

  // ---- operations ----------------------------------------------------------------

  /**
   * This element's encoder bitrate properties (KMD MediaElement), read by the encoders
   * that make its output or feed it (EncoderControl, encoderBounds).
   */
  readonly encoderBitrates: EncoderBitrates = { minEncoderBitrate: 0, maxEncoderBitrate: 0 };

  /** This node's operations, by name, typed by the protocol table (workerProtocol.ts). */
  protected operations(): OpHandlers<BaseOps> {
    return {
      setEncoderBitrate: (a: OpArgs<'setEncoderBitrate'>) => {
        // KMD int; a negative figure means no bound, as 0 does.
        const bps = Math.max(0, Math.round(a.bps) || 0);
        if (a.name === 'encoderBitrate') this.encoderBitrates.encoderBitrate = bps || undefined;
        else this.encoderBitrates[a.name] = bps;
        return null;
      },
      getStats: (a: OpArgs<'getStats'>) => ({ [this.id]: this.elementStats(a.mediaType ?? null) }),
      setFormat: (a: OpArgs<'setFormat'>) => {
        if (a.codec) this.#forced[a.kind] = a.codec;
        else delete this.#forced[a.kind];
        this.formatsChanged();
        return null;
      },
    };
  }

  #ops: AnyHandlers | undefined;

  /** Runs an operation from the control plane. */
  async call<O extends OpName>(op: O, args: OpArgs<O>): Promise<OpResult<O>> {
    const handler = (this.#ops ??= this.operations() as AnyHandlers)[op] as ((a: OpArgs<O>) => OpResult<O> | Promise<OpResult<O>>) | undefined;
    if (!handler) throw new KurentoError('NOT_IMPLEMENTED', `media operation '${op}' is not supported by ${this.kind}`);
    return handler(args ?? ({} as OpArgs<O>));
  }

  /** Element stats (KMD ElementStats); endpoints add their transport figures. */
  protected elementStats(mediaType: string | null, type = 'ElementStats'): Record<string, Wire> {
    const endpoint = type === 'EndpointStats';
    return {
      __type__: type, id: this.id, type: endpoint ? 'endpoint' : 'element', timestampMillis: Date.now(),
      ...(this.latency?.fields(endpoint, mediaType) ?? (endpoint ? { inputLatency: [], E2ELatency: [] } : { inputLatency: [] })),
    };
  }

  // ---- lifetime ------------------------------------------------------------------

  /**
   * Frees sockets and timers. Idempotent; edges are removed by the graph. The promise
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
