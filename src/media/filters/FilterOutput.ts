import type { MediaNode } from '../graph/MediaNode.ts';
import type { RtpCodecInfo } from '../graph/MediaPacket.ts';
import type { EngineBin } from '../engine/EngineBin.ts';
import type { MediaEngine, BinListener } from '../engine/MediaEngine.ts';
import { RtpBridge } from '../engine/RtpBridge.ts';
import { KEYFRAME_INTERVAL_MS } from '../sdp/SdpEndpointNode.ts';
import { bitrateProperty, encoderDescription, ENGINE_PT, type Kind } from '../transcode/formats.ts';

/** Start bitrates before any sink reports what it can take (bit/s). */
const START_BITRATE: Record<Kind, number> = { VIDEO: 500_000, AUDIO: 32_000 };
/** Encoder bounds (bit/s): REMB below 30 kbps is noise (Kurento's REMB floor). */
const MIN_VIDEO_BPS = 30_000;
const MAX_VIDEO_BPS = 2_500_000;

/**
 * One encoded output of a filter: the filter's raw picture (or sound) taken from its
 * output tee, encoded once in one format, and shared by every sink edge that takes
 * that format (Kurento's agnosticbin encodes once per format, whatever the number of
 * sinks). Keyframe requests of its sinks force a key unit on the encoder (at most one
 * per KEYFRAME_INTERVAL_MS); their REMB estimates set its bitrate, the lowest winning.
 */
export class FilterOutput {
  readonly format: RtpCodecInfo;
  readonly #kind: Kind;
  readonly #rates = new Map<MediaNode, number>();
  #bridge: RtpBridge | undefined;
  #bin: EngineBin | undefined;
  #bitrate: number;
  #lastKeyframe = -Infinity;
  #closed = false;

  constructor(kind: Kind, format: RtpCodecInfo) {
    this.#kind = kind;
    this.format = format;
    this.#bitrate = START_BITRATE[kind];
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
    const bin = await engine.addBin(pipeline, name, FilterOutput.description(this.#kind, this.format, bridge.port, this.#bitrate), listener);
    this.#bin = bin;
    if (this.#closed) return void (await bin.remove());
    bridge.connect(0, bin.port('out') ?? 0, ENGINE_PT[this.#kind]);
    await bin.engine.request('link', { pipeline, from: { bin: core.name, element: 't', pad: 'src_%u' }, to: { bin: bin.name } });
    this.keyframe();
  }

  /** The encoder's next frame is a keyframe (rate-limited). */
  keyframe(): void {
    const now = performance.now();
    if (this.#kind !== 'VIDEO' || !this.#bin || now - this.#lastKeyframe < KEYFRAME_INTERVAL_MS) return;
    this.#lastKeyframe = now;
    this.#bin.keyframe('enc').catch(() => undefined);
  }

  /** A sink's REMB: the encoder follows the lowest of its sinks. */
  bandwidth(from: MediaNode, bps: number): void {
    if (this.#kind !== 'VIDEO') return;
    this.#rates.set(from, bps);
    this.#retarget();
  }

  /** A sink left: its estimate no longer counts. */
  forget(sink: MediaNode): void {
    if (this.#rates.delete(sink)) this.#retarget();
  }

  #retarget(): void {
    if (this.#rates.size === 0) return;
    const target = Math.min(MAX_VIDEO_BPS, Math.max(MIN_VIDEO_BPS, Math.min(...this.#rates.values())));
    const prop = bitrateProperty(this.#kind, this.format);
    // Small changes are not worth an encoder reconfiguration (REMB moves every 500 ms).
    if (!prop || !this.#bin || Math.abs(target - this.#bitrate) < this.#bitrate * 0.1) return;
    this.#bitrate = target;
    this.#bin.setProperty('enc', prop.name, prop.value(target)).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#bridge?.close();
    // Removing the bin unlinks it from the tee and releases the tee's pad.
    await this.#bin?.remove();
  }
}
