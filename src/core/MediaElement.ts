import { KurentoError } from '../shared/KurentoError.ts';
import { MediaObject } from './MediaObject.ts';
import { DEFAULT_DESCRIPTION, ElementConnection, MEDIA_TYPES, type MediaType } from './ElementConnection.ts';
import { renderDot } from './renderDot.ts';
import type { Params } from './types.ts';
import type { EventMessage, NodeKind, NodeOptions } from '../shared/workerProtocol.ts';

export type { FlowState } from '../shared/workerProtocol.ts';
import type { FlowState } from '../shared/workerProtocol.ts';

/** The MediaElement properties that bound the engine encoders around an element (KMD core). */
const ENCODER_BITRATES = ['encoderBitrate', 'minEncoderBitrate', 'maxEncoderBitrate'] as const;

/**
 * KMD `MediaElement`: a node of the pipeline graph. The graph rules follow Kurento
 * (docs "Kurento API > MediaElement" and the module-core mediaElement tests):
 * - `connect(sink)` without a media type connects AUDIO, VIDEO and DATA;
 * - a sink input (media type + sink description) has exactly one source, so a new
 *   source replaces the old one (this is how one-to-many and source switching work);
 * - each connection raises `ElementConnected` on the source, each removal
 *   `ElementDisconnected`; elements of two pipelines cannot be connected (40004).
 * The media plane hooks in through `connectionAdded`/`connectionRemoved`.
 */
export class MediaElement extends MediaObject {
  /** Connections where this element is the source, in creation order. */
  readonly #sinkConnections = new Set<ElementConnection>();
  /** Connections where this element is the sink, keyed by `type/sinkDescription`. */
  readonly #sourceConnections = new Map<string, ElementConnection>();
  readonly #flowIn = new Map<string, FlowState>();
  readonly #flowOut = new Map<string, FlowState>();
  /** Per media type, whether the media graph transcodes this element's input. */
  readonly #transcoding = new Map<MediaType, boolean>();

  // ---- media plane -------------------------------------------------------------

  /**
   * The element's media node, with the encoder bitrates MediaElement.conf.ini sets for
   * every element (Kurento's file and keys), as if the application had set them.
   */
  protected override createMedia<K extends NodeKind>(kind: K, options: NodeOptions<K>): void {
    super.createMedia(kind, options);
    const conf = this.settings.modules.MediaElement ?? {};
    for (const name of ENCODER_BITRATES) {
      const v = Number(conf[name]);
      if (conf[name] !== undefined && Number.isFinite(v) && v >= 0 && this.getProperty(name) === undefined) this.setProperty(name, Math.round(v));
    }
  }

  /**
   * encoderBitrate, minEncoderBitrate and maxEncoderBitrate (KMD MediaElement) go to the
   * media node: the engine encoders that make this element's output, or feed it, read
   * them (encoderBounds).
   */
  protected override propertyChanged(name: string, value: unknown): void {
    const bitrate = ENCODER_BITRATES.find((n) => n === name);
    if (bitrate) this.mediaPost('setEncoderBitrate', { name: bitrate, bps: Number(value) || 0 });
    super.propertyChanged(name, value);
  }

  /** An event raised by this element's media node (canonical Kurento name). */
  override mediaEvent(event: EventMessage): void {
    switch (event.name) {
      case 'MediaFlowInStateChanged':
      case 'MediaFlowOutStateChanged':
        this.setFlow(event.name === 'MediaFlowInStateChanged' ? 'in' : 'out', event.data.mediaType, event.data.state, event.data.padName || DEFAULT_DESCRIPTION);
        return;
      case 'MediaTranscodingStateChanged':
        this.#transcoding.set(event.data.mediaType, event.data.state === 'TRANSCODING');
        break;
    }
    super.mediaEvent(event);
  }

  /** Mirrors an edge into the media worker (both ends must have media). */
  #mirror(conn: ElementConnection, t: 'link' | 'unlink'): void {
    if (conn.source !== this || !this.hasMedia || !conn.sink.hasMedia) return;
    this.host.media.send({
      t, pipeline: this.pipeline!.id,
      edge: { source: conn.source.id, sink: conn.sink.id, kind: conn.type, sourceDescription: conn.sourceDescription, sinkDescription: conn.sinkDescription },
    });
  }

  // ---- graph -------------------------------------------------------------------

  connect(p: Params): void {
    const sink = p.sink as MediaElement;
    if (sink.pipeline !== this.pipeline) {
      throw new KurentoError('CONNECT_ERROR', 'Media elements do not share pipeline');
    }
    const srcDesc = descriptionOf(p.sourceMediaDescription);
    const sinkDesc = descriptionOf(p.sinkMediaDescription);
    for (const type of typesOf(p.mediaType)) {
      const existing = sink.#sourceConnections.get(`${type}/${sinkDesc}`);
      if (existing && existing.source === this && existing.sourceDescription === srcDesc) continue;
      if (existing) existing.source.removeConnection(existing);
      const conn = new ElementConnection(this, sink, type, srcDesc, sinkDesc);
      this.#sinkConnections.add(conn);
      sink.#sourceConnections.set(conn.sinkKey, conn);
      this.emit('ElementConnected', {
        sink, mediaType: type, sourceMediaDescription: srcDesc, sinkMediaDescription: sinkDesc,
      });
      this.#mirror(conn, 'link');
      this.connectionAdded(conn);
      sink.connectionAdded(conn);
    }
  }

  disconnect(p: Params): void {
    const sink = p.sink as MediaElement;
    const types = new Set<MediaType>(typesOf(p.mediaType));
    const srcDesc = p.sourceMediaDescription === undefined ? undefined : descriptionOf(p.sourceMediaDescription);
    const sinkDesc = p.sinkMediaDescription === undefined ? undefined : descriptionOf(p.sinkMediaDescription);
    for (const conn of [...this.#sinkConnections]) {
      if (conn.sink !== sink || !types.has(conn.type)) continue;
      if (srcDesc !== undefined && conn.sourceDescription !== srcDesc) continue;
      if (sinkDesc !== undefined && conn.sinkDescription !== sinkDesc) continue;
      this.removeConnection(conn);
    }
  }

  /** Removes one edge, raising ElementDisconnected on the source while it is alive. */
  private removeConnection(conn: ElementConnection): void {
    if (!this.#sinkConnections.delete(conn)) return;
    if (conn.sink.#sourceConnections.get(conn.sinkKey) === conn) conn.sink.#sourceConnections.delete(conn.sinkKey);
    this.emit('ElementDisconnected', {
      sink: conn.sink, mediaType: conn.type,
      sourceMediaDescription: conn.sourceDescription, sinkMediaDescription: conn.sinkDescription,
    });
    this.#mirror(conn, 'unlink');
    this.connectionRemoved(conn);
    conn.sink.connectionRemoved(conn);
  }

  getSourceConnections(p: Params): Record<string, unknown>[] {
    return [...this.#sourceConnections.values()]
      .filter((c) => matches(c, p.mediaType, p.description, c.sinkDescription))
      .map((c) => c.toData());
  }

  getSinkConnections(p: Params): Record<string, unknown>[] {
    return [...this.#sinkConnections]
      .filter((c) => matches(c, p.mediaType, p.description, c.sourceDescription))
      .map((c) => c.toData());
  }

  /** Outgoing edges, for the media plane and for DOT rendering. */
  sinkConnectionList(): readonly ElementConnection[] {
    return [...this.#sinkConnections];
  }

  /** The connection feeding a sink input, if any. */
  sourceConnection(type: MediaType, description = DEFAULT_DESCRIPTION): ElementConnection | undefined {
    return this.#sourceConnections.get(`${type}/${description}`);
  }

  sourceConnectionList(): readonly ElementConnection[] {
    return [...this.#sourceConnections.values()];
  }

  /** Media-plane hook: an edge touching this element appeared (either side). */
  protected connectionAdded(_conn: ElementConnection): void {}

  /** Media-plane hook: an edge touching this element went away (either side). */
  protected connectionRemoved(_conn: ElementConnection): void {}

  // ---- formats, flow state, stats ----------------------------------------------

  /**
   * KMD setAudioFormat/setVideoFormat: the codec this element's input must have; the
   * media graph transcodes to it where the source sends another. RAW (decoded media)
   * puts no constraint on an element whose input is RTP.
   */
  setAudioFormat(p: Params): void {
    this.setProperty('audioFormat', p.caps);
    this.mediaPost('setFormat', { kind: 'AUDIO', codec: codecOf(p.caps) });
  }

  setVideoFormat(p: Params): void {
    this.setProperty('videoFormat', p.caps);
    this.mediaPost('setFormat', { kind: 'VIDEO', codec: codecOf(p.caps) });
  }

  isMediaFlowingIn(p: Params): boolean {
    return this.#flowIn.get(`${String(p.mediaType)}/${descriptionOf(p.sinkMediaDescription)}`) === 'FLOWING';
  }

  isMediaFlowingOut(p: Params): boolean {
    return this.#flowOut.get(`${String(p.mediaType)}/${descriptionOf(p.sourceMediaDescription)}`) === 'FLOWING';
  }

  /** Whether an input of this type goes through a transcoder (MediaTranscodingStateChanged from the media graph). */
  isMediaTranscoding(p: Params): boolean {
    const types = p.mediaType === undefined || p.mediaType === null ? MEDIA_TYPES : [p.mediaType as MediaType];
    return types.some((t) => this.#transcoding.get(t) === true);
  }

  /** Records a flow-state change and raises MediaFlowIn/OutStateChanged when it changes. */
  protected setFlow(dir: 'in' | 'out', type: MediaType, state: FlowState, description = DEFAULT_DESCRIPTION): void {
    const map = dir === 'in' ? this.#flowIn : this.#flowOut;
    const key = `${type}/${description}`;
    if ((map.get(key) ?? 'NOT_FLOWING') === state && map.has(key)) return;
    map.set(key, state);
    this.emit(dir === 'in' ? 'MediaFlowInStateChanged' : 'MediaFlowOutStateChanged', {
      state, padName: description, mediaType: type,
    });
  }

  /** ElementStats from the media plane (input latency while latencyStats is on). */
  async getStats(p: Params): Promise<Record<string, unknown>> {
    if (!this.hasMedia || !this.pipeline?.mediaAttached) return {};
    return (await this.mediaCall('getStats', { mediaType: (p.mediaType as string | undefined) ?? null })) ?? {};
  }

  getGstreamerDot(_p: Params): string {
    return renderDot(this);
  }

  dumpGstreamerDot(p: Params): Promise<void> {
    return this.dumpDot(() => this.getGstreamerDot(p));
  }

  // ---- lifetime ----------------------------------------------------------------

  /** Drops every edge before the subclass frees its media. */
  override release(): void {
    if (this.released) return;
    for (const conn of [...this.#sinkConnections]) this.removeConnection(conn);
    for (const conn of [...this.#sourceConnections.values()]) conn.source.removeConnection(conn);
    super.release();
  }
}

function codecOf(caps: unknown): string | null {
  const codec = (caps as { codec?: unknown } | undefined)?.codec;
  return typeof codec === 'string' && codec !== 'RAW' ? codec : null;
}

function typesOf(mediaType: unknown): readonly MediaType[] {
  return mediaType === undefined || mediaType === null ? MEDIA_TYPES : [mediaType as MediaType];
}

function descriptionOf(d: unknown): string {
  return typeof d === 'string' && d !== '' ? d : DEFAULT_DESCRIPTION;
}

function matches(c: ElementConnection, type: unknown, description: unknown, own: string): boolean {
  if (type !== undefined && type !== null && c.type !== type) return false;
  if (typeof description === 'string' && description !== '' && own !== description) return false;
  return true;
}
