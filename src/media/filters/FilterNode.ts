import { MediaNode, type EmitFn } from '../graph/MediaNode.ts';
import type { Edge } from '../graph/Edge.ts';
import type { MediaPacket, RtpCodecInfo } from '../graph/MediaPacket.ts';
import { describeCodec } from '../graph/MediaPacket.ts';
import { FlowMonitor } from '../graph/FlowMonitor.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import type { EngineBin } from '../engine/EngineBin.ts';
import type { BinListener } from '../engine/MediaEngine.ts';
import type { EngineEvent } from '../../engine/protocol.ts';
import type { BaseOps, NodeKind, OpHandlers } from '../../shared/workerProtocol.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import { FilterOutput } from './FilterOutput.ts';
import { FilterInput } from './FilterInput.ts';
import { chooseOutputFormat, filterFormats } from './outputFormats.ts';
import { formatKey, type Kind } from '../transcode/formats.ts';
import { shortId } from '../engine/shortId.ts';

/** After the engine process of a filter died, how long before its engine part is built again (ms). */
const REBUILD_MS = 2000;

/** What a filter puts in its core bin, between the raw input and the output tee. */
export interface FilterCore {
  /** gst-launch fragment: raw media in, raw media out (a linear chain; branches inside it are named). */
  readonly fragment: string;
  /** A branch fed by the raw input before the fragment (analysis at a reduced rate, ending in a sink). */
  readonly inputBranch?: string;
  /** Element factories the engine must refuse in the bin (an application's fragment: GStreamerFilter). */
  readonly refuseFactories?: string;
}

let bins = 0;

/**
 * The media half of every Kurento filter (KMD `Filter`): one "core" bin in the
 * pipeline's engine pipeline that processes raw frames (or samples) of one media
 * kind, fed either by a decoder bin (RTP from a non-engine source: WebRtcEndpoint,
 * RtpEndpoint, a player) or, raw, straight from the output tee of an upstream filter
 * (filters chained without decoding twice: issue 12); its output tee feeds one encoder
 * per format its non-filter sinks take, each shared by all the sinks of that format.
 * The other media kind passes through unchanged, as in Kurento's filters.
 *
 * Subclasses give the core (`core()`), act on its bus messages (`onCoreEvent`) and set
 * properties on its elements (`coreBin`).
 */
export abstract class FilterNode extends MediaNode {
  /** The media kind this filter processes; the other passes through. */
  readonly media: Kind;
  protected readonly engine: NodeEngine;
  protected readonly flow: FlowMonitor;
  #core: Promise<EngineBin> | undefined;
  #coreBin: EngineBin | undefined;
  #input: FilterInput | undefined;
  /** The upstream filter whose output tee feeds our core raw, if the input is one. */
  #rawFrom: FilterNode | undefined;
  readonly #outputs = new Map<string, FilterOutput>();
  /** The format key of the output each sink edge takes. */
  readonly #assigned = new Map<Edge, string>();
  /** Structural engine changes, one at a time. */
  #chain: Promise<void> = Promise.resolve();
  #unsupported = new Set<string>();
  #closedNow = false;
  #rebuildTimer: NodeJS.Timeout | undefined;

  constructor(id: string, emit: EmitFn, kind: NodeKind, engine: NodeEngine, media: Kind) {
    super(id, emit, kind);
    this.engine = engine;
    this.media = media;
    this.flow = FlowMonitor.reporting(emit);
  }

  /** The bin description parts this filter needs. */
  protected abstract core(): FilterCore;

  /** A bus message of the core bin (element messages: facedetect, barcode, ...). */
  protected onCoreEvent(_e: EngineEvent): void {}

  /** The core bin, once built. */
  protected get coreBin(): EngineBin | undefined {
    return this.#coreBin;
  }

  /** `ready`, every filter's: the control half's create waits for it (Filter.ready). */
  protected override operations(): OpHandlers<BaseOps | 'ready'> {
    return {
      ...super.operations(),
      ready: async () => {
        await this.ready();
        return null;
      },
    };
  }

  /** Builds the core bin (once); rejects with a KurentoError if the engine refuses it. */
  ready(): Promise<EngineBin> {
    this.#core ??= this.#buildCore();
    return this.#core;
  }

  async #buildCore(): Promise<EngineBin> {
    const { fragment, inputBranch, refuseFactories } = this.core();
    const convert = this.media === 'VIDEO' ? 'videoconvert' : 'audioconvert ! audioresample';
    const split = inputBranch ? ' ! tee name=split allow-not-linked=true ! queue max-size-buffers=3 leaky=downstream' : '';
    const description = `queue name=fin max-size-buffers=3 max-size-bytes=0 max-size-time=0 leaky=downstream ! ${convert}${split} ! ${fragment} ! ${convert} ! tee name=t allow-not-linked=true` +
      (inputBranch ? ` split. ! ${inputBranch}` : '');
    try {
      const bin = await this.engine.engine.addBin(this.engine.pipeline, `filter-${++bins}-${shortId(this.id)}`, description, this.#listener((e) => this.onCoreEvent(e)), refuseFactories);
      if (this.#closedNow) {
        await bin.remove();
        throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `${this.kind} ${this.id} was released`);
      }
      this.#coreBin = bin;
      this.#reconcile();
      return bin;
    } catch (err) {
      if (err instanceof KurentoError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `${this.kind}: the media engine refused the filter: ${message}`);
    }
  }

  #listener(onEvent: (e: EngineEvent) => void): BinListener {
    return {
      event: (e) => {
        if (e.type === 'keyframeRequest') this.input('VIDEO')?.requestKeyframe(this);
        else if (e.type === 'error') this.emit('Error', { description: `${this.kind} ${this.id}: ${e.message}`, errorCode: 40003, type: 'MEDIA_ENGINE_ERROR' });
        else onEvent(e);
      },
      exit: (exit) => this.#lost(exit.description),
    };
  }

  /** The engine process died: say so, and build the engine part again a moment later. */
  #lost(why: string): void {
    if (this.#closedNow || !this.#core) return;
    this.emit('Error', { description: `${this.kind} ${this.id}: the media engine process stopped (${why})`, errorCode: 40003, type: 'MEDIA_ENGINE_ERROR' });
    // The filter's output came from that process: it stopped now, and so did what its
    // sinks got from it.
    if (this.media === 'AUDIO' || this.media === 'VIDEO') {
      this.flow.stop('out', this.media);
      for (const edge of this.outputs[this.media]) edge.sink.upstreamLost(this.media);
    }
    this.#core = undefined;
    this.#coreBin = undefined;
    void this.#input?.close();
    this.#input = undefined;
    for (const o of this.#outputs.values()) void o.close();
    this.#outputs.clear();
    this.#assigned.clear();
    clearTimeout(this.#rebuildTimer);
    this.#rebuildTimer = setTimeout(() => {
      if (this.closed) return;
      this.ready().then(() => this.#relinkRaw(), () => undefined);
    }, REBUILD_MS);
  }

  #serial(fn: () => Promise<void>): void {
    this.#chain = this.#chain.then(fn).catch((err: unknown) => {
      if (this.#closedNow) return;
      this.emit('Error', { description: `${this.kind} ${this.id}: ${err instanceof Error ? err.message : String(err)}`, errorCode: 40003, type: 'MEDIA_ENGINE_ERROR' });
    });
  }

  // ---- formats ---------------------------------------------------------------------

  override produces(kind: 'AUDIO' | 'VIDEO', seen: Set<MediaNode> = new Set()): readonly RtpCodecInfo[] | 'any' {
    return kind === this.media ? filterFormats(kind) : super.produces(kind, seen);
  }

  // ---- input -----------------------------------------------------------------------

  override deliver(kind: 'AUDIO' | 'VIDEO', pkt: MediaPacket): void {
    this.flow.packet('in', kind);
    if (kind !== this.media) {
      this.flow.packet('out', kind);
      this.forward(kind, pkt);
      return;
    }
    if (this.#rawFrom || !this.#coreBin) return;
    const key = formatKey(pkt.codec);
    if (this.#input?.key !== key) {
      if (!FilterInput.canDecode(kind, pkt.codec)) return this.#unsupportedInput(pkt.codec);
      this.#switchInput(pkt.codec);
    }
    this.#input!.push(pkt.buf);
  }

  #unsupportedInput(codec: RtpCodecInfo): void {
    const key = formatKey(codec);
    if (this.#unsupported.has(key)) return;
    this.#unsupported.add(key);
    this.emit('Error', { description: `${this.kind} ${this.id} cannot decode ${describeCodec(codec)}`, errorCode: 40005, type: 'UNSUPPORTED_MEDIA_TYPE' });
  }

  #switchInput(codec: RtpCodecInfo): void {
    const old = this.#input;
    const input = new FilterInput(this.media, codec);
    this.#input = input;
    this.#serial(async () => {
      await old?.close();
      const core = await this.ready();
      if (this.#input !== input || this.#rawFrom) return void (await input.close());
      await input.start(this.engine.engine, this.engine.pipeline, `filter-${++bins}-in-${shortId(this.id)}`, core, this.#listener(() => undefined));
      // The new input's decoder saw nothing before now: a keyframe the source sent for
      // an earlier request never reached it (MediaNode.readySince).
      this.readySince = performance.now();
      if (this.media === 'VIDEO') this.input('VIDEO')?.requestKeyframe(this);
    });
  }

  override inputChanged(kind: 'AUDIO' | 'VIDEO' | 'DATA', edge: Edge | undefined): void {
    if (kind !== this.media) return;
    const up = edge?.source instanceof FilterNode && edge.source.media === this.media ? edge.source : undefined;
    if (up === this.#rawFrom) return;
    const old = this.#rawFrom;
    this.#rawFrom = up;
    this.#serial(async () => {
      if (old && !old.closed) await old.#unlinkRaw(this);
      if (!up) return;
      await this.#input?.close();
      this.#input = undefined;
      await up.#linkRaw(this);
    });
  }

  /** Our output tee feeds `down`'s core: raw frames, no encoding or decoding between us. */
  async #linkRaw(down: FilterNode): Promise<void> {
    const [from, to] = await Promise.all([this.ready(), down.ready()]);
    if (down.#rawFrom !== this || this.closed || down.closed) return;
    await from.engine.request('link', { pipeline: this.engine.pipeline, from: { bin: from.name, element: 't', pad: 'src_%u' }, to: { bin: to.name } });
  }

  async #unlinkRaw(down: FilterNode): Promise<void> {
    const from = this.#coreBin;
    const to = down.#coreBin;
    if (!from?.alive || !to?.alive) return;
    await from.engine.request('unlink', { pipeline: this.engine.pipeline, from: { bin: from.name, element: 't', pad: 'src_%u' }, to: { bin: to.name } }).catch(() => undefined);
  }

  /** After a rebuild: our raw input, and our raw sinks' inputs, are linked again. */
  #relinkRaw(): void {
    if (this.#rawFrom) this.#serial(() => this.#rawFrom!.#linkRaw(this));
    for (const e of this.outputs[this.media]) if (this.#isRawSink(e)) this.#serial(() => this.#linkRaw(e.sink as FilterNode));
    this.#reconcile();
  }

  // ---- outputs ---------------------------------------------------------------------

  #isRawSink(edge: Edge): boolean {
    return edge.sink instanceof FilterNode && edge.sink.media === this.media;
  }

  override outputAdded(edge: Edge): void {
    if (edge.kind === this.media) this.#reconcile();
    else super.outputAdded(edge);
  }

  override outputRemoved(edge: Edge): void {
    if (edge.kind !== this.media) return;
    const key = this.#assigned.get(edge);
    this.#assigned.delete(edge);
    if (key) this.#outputs.get(key)?.forget(edge.sink);
    this.#reconcile();
  }

  override outputChanged(edge: Edge): void {
    if (edge.kind === this.media) this.#reconcile();
  }

  /** Each sink edge gets the output of the first format it takes; outputs nobody takes go. */
  #reconcile(): void {
    if (this.closed) return;
    const needed = new Map<string, RtpCodecInfo>();
    this.#assigned.clear();
    for (const edge of this.outputs[this.media]) {
      if (this.#isRawSink(edge)) continue;
      const format = chooseOutputFormat(this.media, edge.sink.accepts(this.media), edge.sink.forcedFormat(this.media));
      if (!format) continue;
      const key = formatKey(format);
      this.#assigned.set(edge, key);
      needed.set(key, this.#outputs.get(key)?.format ?? format);
    }
    for (const [key, output] of [...this.#outputs]) {
      if (needed.has(key)) continue;
      this.#outputs.delete(key);
      this.#serial(() => output.close());
    }
    const core = this.#coreBin;
    if (!core) return;
    for (const [key, format] of needed) {
      const existing = this.#outputs.get(key);
      if (existing) {
        existing.keyframe();
        continue;
      }
      // This filter's encoder settings, and those of the sinks this output feeds.
      const output = new FilterOutput(this.media, format, () => ({
        owner: this.encoderBitrates,
        sinks: this.outputs[this.media].filter((e) => this.#assigned.get(e) === key).map((e) => e.sink.encoderBitrates),
        blindSinks: this.outputs[this.media].some((e) => this.#assigned.get(e) === key && !e.sink.asksForKeyframes),
      }));
      this.#outputs.set(key, output);
      this.#serial(() => output.start(this.engine.engine, this.engine.pipeline, `filter-${++bins}-out-${shortId(this.id)}`, core, (buf) => this.#fromOutput(output, buf), this.#listener(() => undefined)));
    }
  }

  #fromOutput(output: FilterOutput, buf: Buffer): void {
    const key = formatKey(output.format);
    const pkt: MediaPacket = { codec: output.format, buf, at: performance.now() };
    let sent = false;
    for (const edge of this.outputs[this.media]) {
      if (this.#assigned.get(edge) !== key) continue;
      // Every edge gets its own copy: a sink may rewrite the header in place.
      edge.carry(this.media, sent ? { ...pkt, buf: Buffer.from(buf) } : pkt);
      sent = true;
    }
    if (sent) this.flow.packet('out', this.media);
  }

  /** A sink asks for a keyframe: the encoder of its format makes one. */
  override requestKeyframe(from: MediaNode): void {
    if (this.media !== 'VIDEO') return super.requestKeyframe(from);
    for (const [edge, key] of this.#assigned) if (edge.sink === from) this.#outputs.get(key)?.keyframe();
  }

  override reportBandwidth(from: MediaNode, bps: number): void {
    if (this.media !== 'VIDEO') return super.reportBandwidth(from, bps);
    for (const [edge, key] of this.#assigned) if (edge.sink === from) this.#outputs.get(key)?.bandwidth(from, bps);
  }

  // ---- lifetime --------------------------------------------------------------------

  protected override async onClose(): Promise<void> {
    this.#closedNow = true;
    clearTimeout(this.#rebuildTimer);
    this.flow.close();
    await this.#chain;
    await this.#input?.close();
    await Promise.all([...this.#outputs.values()].map((o) => o.close()));
    this.#outputs.clear();
    const core = await this.#core?.catch(() => undefined);
    await core?.remove();
  }
}
