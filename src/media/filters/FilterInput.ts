import type { RtpCodecInfo } from '../graph/MediaPacket.ts';
import type { EngineBin } from '../engine/EngineBin.ts';
import type { MediaEngine, BinListener } from '../engine/MediaEngine.ts';
import { RtpBridge } from '../engine/RtpBridge.ts';
import { canTranscode, decoderDescription, ENGINE_PT, formatKey, type Kind } from '../transcode/formats.ts';

/**
 * The decoding input of a filter whose source is not a filter: RTP of one format sent
 * into an engine bin that decodes it and feeds the filter's core bin. A new format
 * upstream (a renegotiation) gets a new input; packets sent before the bin runs are
 * dropped (the decoder asks for a keyframe when it starts).
 */
export class FilterInput {
  readonly key: string;
  readonly #kind: Kind;
  readonly #format: RtpCodecInfo;
  #bridge: RtpBridge | undefined;
  #bin: EngineBin | undefined;
  #closed = false;

  constructor(kind: Kind, format: RtpCodecInfo) {
    this.#kind = kind;
    this.#format = format;
    this.key = formatKey(format);
  }

  /** Whether the engine decodes this format. */
  static canDecode(kind: Kind, format: RtpCodecInfo): boolean {
    return canTranscode(kind, format, format);
  }

  async start(engine: MediaEngine, pipeline: string, name: string, core: EngineBin, listener: BinListener): Promise<void> {
    const bridge = await RtpBridge.open(() => undefined);
    this.#bridge = bridge;
    if (this.#closed) return bridge.close();
    const bin = await engine.addBin(pipeline, name, decoderDescription(this.#kind, this.#format), listener);
    this.#bin = bin;
    if (this.#closed) return void (await bin.remove());
    await bin.engine.request('link', { pipeline, from: { bin: bin.name }, to: { bin: core.name } });
    bridge.connect(bin.port('in') ?? 0, 0, ENGINE_PT[this.#kind]);
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
