import type { MediaNode } from '../graph/MediaNode.ts';
import type { RtpCodecInfo } from '../graph/MediaPacket.ts';
import type { EngineBin } from '../engine/EngineBin.ts';
import { KEYFRAME_INTERVAL_MS } from '../sdp/SdpEndpointNode.ts';
import { bitrateProperty, type Kind } from './formats.ts';

/** Start bitrates before any sink reports what it can take (bit/s). */
export const START_BITRATE: Record<Kind, number> = { VIDEO: 500_000, AUDIO: 32_000 };
/** Encoder bitrate bounds (bit/s): REMB below 30 kbps is noise (Kurento's REMB floor). */
const MIN_VIDEO_BPS = 30_000;
const MAX_VIDEO_BPS = 2_500_000;

/**
 * The feedback of an engine encoder (named `enc` in its bin) shared by several sinks,
 * as a Transcoder's and a filter's or hub's outputs have: their keyframe requests force
 * a key unit (at most one per KEYFRAME_INTERVAL_MS), and their REMB estimates set the
 * bitrate, the lowest winning since one encoder serves them all.
 */
export class EncoderControl {
  readonly #kind: Kind;
  readonly #format: RtpCodecInfo;
  readonly #rates = new Map<MediaNode, number>();
  #bitrate: number;
  #lastKeyframe = -Infinity;
  /** The encoder's bin, once added. */
  bin: EngineBin | undefined;

  constructor(kind: Kind, format: RtpCodecInfo) {
    this.#kind = kind;
    this.#format = format;
    this.#bitrate = START_BITRATE[kind];
  }

  /** The bitrate the encoder was last set to (bit/s); the start bitrate before any REMB. */
  get bitrate(): number {
    return this.#bitrate;
  }

  /** The encoder's next frame is a keyframe (rate-limited; video only). */
  keyframe(): void {
    const now = performance.now();
    if (this.#kind !== 'VIDEO' || !this.bin || now - this.#lastKeyframe < KEYFRAME_INTERVAL_MS) return;
    this.#lastKeyframe = now;
    this.bin.keyframe('enc').catch(() => undefined);
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
    const prop = bitrateProperty(this.#kind, this.#format);
    // Small changes are not worth an encoder reconfiguration (REMB moves every 500 ms).
    if (!prop || !this.bin || Math.abs(target - this.#bitrate) < this.#bitrate * 0.1) return;
    this.#bitrate = target;
    this.bin.setProperty('enc', prop.name, prop.value(target)).catch(() => undefined);
  }
}
