import type { RtpCodecInfo } from '../graph/MediaPacket.ts';
import type { EngineBin } from '../engine/EngineBin.ts';
import type { MediaEngine, BinListener } from '../engine/MediaEngine.ts';
import type { PadRef } from '../../engine/protocol.ts';
import { RtpBridge } from '../engine/RtpBridge.ts';
import { canTranscode, decoderDescription, ENGINE_PT, formatKey, type Kind } from '../transcode/formats.ts';

/**
 * The decoding input of a filter whose source is not a filter: RTP of one format sent
 * into an engine bin that decodes it and feeds the filter's core bin. A new format
 * upstream (a renegotiation) gets a new input; packets sent before the bin runs are
 * dropped (the decoder asks for a keyframe when it starts). A hub's input (Composite)
 * links it to a request pad of its mixer, or ends it in a tee that it links itself.
 */
export class FilterInput {
  readonly key: string;
  readonly #kind: Kind;
  readonly #format: RtpCodecInfo;
  /** gst-launch elements after the decoder (a queue, a tee). */
  readonly #tail: string;
  #bridge: RtpBridge | undefined;
  #bin: EngineBin | undefined;
  #closed = false;

  constructor(kind: Kind, format: RtpCodecInfo, tail = '') {
    this.#kind = kind;
    this.#tail = tail;
    this.#format = format;
    this.key = formatKey(format);
  }

  /** Whether the engine decodes this format. */
  static canDecode(kind: Kind, format: RtpCodecInfo): boolean {
    return canTranscode(kind, format, format);
  }

  /** The decoder bin, once added. */
  get bin(): EngineBin | undefined {
    return this.#closed ? undefined : this.#bin;
  }

  /**
   * Adds the decoder bin and links its output to `to` (a bin's sink, or a request pad
   * such as a compositor's `sink_%u`); answers the pad linked to (undefined if closed meanwhile).
   */
  async start(engine: MediaEngine, pipeline: string, name: string, to: EngineBin | PadRef | undefined, listener: BinListener): Promise<string | undefined> {
    const bridge = await RtpBridge.open(() => undefined);
    this.#bridge = bridge;
    if (this.#closed) return void bridge.close();
    const bin = await engine.addBin(pipeline, name, decoderDescription(this.#kind, this.#format) + this.#tail, listener);
    this.#bin = bin;
    if (this.#closed) return void (await bin.remove());
    const target = to && 'name' in to ? { bin: to.name } : to;
    const linked = target ? await bin.engine.request('link', { pipeline, from: { bin: bin.name }, to: target }) : undefined;
    bridge.connect(bin.port('in') ?? 0, 0, ENGINE_PT[this.#kind]);
    return linked?.toPad;
  }

  push(rtp: Buffer): void {
    this.#bridge?.send(rtp);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#bridge?.close();
    await this.#bin?.remove();
  }
}
