import type { MediaNode } from '../graph/MediaNode.ts';
import type { RtpCodecInfo } from '../graph/MediaPacket.ts';
import type { EngineBin } from '../engine/EngineBin.ts';
import type { MediaEngine, BinListener } from '../engine/MediaEngine.ts';
import { RtpBridge } from '../engine/RtpBridge.ts';
import { EncoderControl, START_BITRATE, type EncoderSettings } from '../transcode/EncoderControl.ts';
import { encoderDescription, ENGINE_PT, type Kind } from '../transcode/formats.ts';

/**
 * One encoded output of a filter: the filter's raw picture (or sound) taken from its
 * output tee, encoded once in one format, and shared by every sink edge that takes
 * that format (Kurento's agnosticbin encodes once per format, whatever the number of
 * sinks). Its sinks' keyframe requests and REMB go to the encoder (EncoderControl).
 */
export class FilterOutput {
  readonly format: RtpCodecInfo;
  readonly #kind: Kind;
  readonly #encoder: EncoderControl;
  #bridge: RtpBridge | undefined;
  #bin: EngineBin | undefined;
  #closed = false;

  /** `settings`: the element whose output this is, and its sinks (EncoderControl). */
  constructor(kind: Kind, format: RtpCodecInfo, settings?: () => EncoderSettings) {
    this.#kind = kind;
    this.format = format;
    this.#encoder = new EncoderControl(kind, format, settings);
  }

  /** The encoder bin's description: raw media in, RTP of `format` out to `port` (bench/hubs.ts runs it in gst-launch too). */
  static description(kind: Kind, format: RtpCodecInfo, port: number, bitrate = START_BITRATE[kind]): string {
    const convert = kind === 'VIDEO' ? 'videoconvert' : 'audioconvert ! audioresample';
    // Leaky: an encoder that falls behind drops frames rather than stalling the filter's
    // other outputs through the tee.
    return `queue max-size-buffers=3 max-size-bytes=0 max-size-time=0 leaky=downstream ! ${convert} ! ${encoderDescription(kind, format, port, bitrate)}`;
  }

  get bin(): EngineBin | undefined {
    return this.#bin;
  }

  /**
   * Adds the encoder bin to the engine and links it to `tee` (an element `t` of the
   * filter's core bin); `onPacket` gets its RTP. Throws if the engine refuses it.
   */
  async start(engine: MediaEngine, pipeline: string, name: string, core: EngineBin, onPacket: (buf: Buffer) => void, listener: BinListener): Promise<void> {
    const bridge = await RtpBridge.open(onPacket);
    this.#bridge = bridge;
    if (this.#closed) return bridge.close();
    const bin = await engine.addBin(pipeline, name, FilterOutput.description(this.#kind, this.format, bridge.port, this.#encoder.startBitrate()), listener);
    this.#bin = bin;
    if (this.#closed) return void (await bin.remove());
    this.#encoder.bin = bin;
    bridge.connect(0, bin.port('out') ?? 0, ENGINE_PT[this.#kind]);
    await bin.engine.request('link', { pipeline, from: { bin: core.name, element: 't', pad: 'src_%u' }, to: { bin: bin.name } });
    this.keyframe();
  }

  /** The encoder's next frame is a keyframe (rate-limited). */
  keyframe(): void {
    this.#encoder.keyframe();
  }

  /** A sink's REMB: the encoder follows the lowest of its sinks. */
  bandwidth(from: MediaNode, bps: number): void {
    this.#encoder.bandwidth(from, bps);
  }

  /** A sink left: its estimate no longer counts. */
  forget(sink: MediaNode): void {
    this.#encoder.forget(sink);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#encoder.close();
    this.#bridge?.close();
    // Removing the bin unlinks it from the tee and releases the tee's pad.
    await this.#bin?.remove();
  }
}
