import type { MediaNode } from '../graph/MediaNode.ts';
import type { RtpCodecInfo } from '../graph/MediaPacket.ts';
import type { EngineBin } from '../engine/EngineBin.ts';
import { KEYFRAME_INTERVAL_MS } from '../sdp/SdpEndpointNode.ts';
import { bitrateProperty, type Kind } from './formats.ts';
import { encoderBounds, type EncoderBitrates, type EncoderBounds } from './encoderBounds.ts';

/** Start bitrates before any sink reports what it can take (bit/s). */
export const START_BITRATE: Record<Kind, number> = { VIDEO: 500_000, AUDIO: 32_000 };
/** Encoder bitrate bounds (bit/s): REMB below 30 kbps is noise (Kurento's REMB floor). */
const MIN_VIDEO_BPS = 30_000;
const MAX_VIDEO_BPS = 2_500_000;

/** A video encoder's bounds when no element sets any (encoderBounds' fallback). */
const DEFAULT_VIDEO_BOUNDS: EncoderBounds = { start: START_BITRATE.VIDEO, min: MIN_VIDEO_BPS, max: MAX_VIDEO_BPS };

/** The start bitrate of a video encoder that makes `owner`'s output alone (a recorder's own encoder). */
export function videoStartBitrate(owner: EncoderBitrates): number {
  return encoderBounds(owner, [], DEFAULT_VIDEO_BOUNDS).start;
}

/**
 * The elements around an encoder whose settings bound it (encoderBounds): `owner`, the
 * element whose output it encodes, and `sinks`, the elements it feeds.
 */
export interface EncoderSettings {
  readonly owner?: EncoderBitrates;
  readonly sinks: Iterable<EncoderBitrates>;
  /**
   * A sink cannot ask for a keyframe (MediaNode.asksForKeyframes: a plain RTP peer
   * that negotiated no PLI or FIR feedback, such as gst-launch or ffplay on a port).
   */
  readonly blindSinks?: boolean;
}

/**
 * While a sink cannot ask for keyframes, the encoder makes one this often (ms): its
 * encoders make one only on request (key-int-max 3000), so such a peer that missed the
 * first (its socket not open yet, a lost packet) would wait 100 s for a picture.
 */
export const BLIND_KEYFRAME_INTERVAL_MS = 2000;

/**
 * The feedback of an engine encoder (named `enc` in its bin) shared by several sinks,
 * as a Transcoder's and a filter's or hub's outputs have: their keyframe requests force
 * a key unit (at most one per KEYFRAME_INTERVAL_MS), and their REMB estimates set the
 * bitrate, the lowest winning since one encoder serves them all. A video encoder
 * starts at, and REMB moves it within, the bounds the elements around it set
 * (`bounds`: encoderBitrate, minEncoderBitrate, maxEncoderBitrate; encoderBounds),
 * read when the encoder starts and at each retarget, so a setting made before the
 * media flows counts, as the KMD says.
 */
export class EncoderControl {
  readonly #kind: Kind;
  readonly #format: RtpCodecInfo;
  readonly #rates = new Map<MediaNode, number>();
  readonly #settings: () => EncoderSettings;
  #bitrate: number;
  #lastKeyframe = -Infinity;
  #bin: EngineBin | undefined;
  #blindTimer: NodeJS.Timeout | undefined;

  constructor(kind: Kind, format: RtpCodecInfo, settings: () => EncoderSettings = () => ({ sinks: [] })) {
    this.#kind = kind;
    this.#format = format;
    this.#settings = settings;
    this.#bitrate = START_BITRATE[kind];
  }

  /** The encoder's bin, once added: from then on, keyframes for blind sinks (BLIND_KEYFRAME_INTERVAL_MS). */
  get bin(): EngineBin | undefined {
    return this.#bin;
  }

  set bin(bin: EngineBin | undefined) {
    this.#bin = bin;
    if (this.#kind !== 'VIDEO' || !bin || this.#blindTimer) return;
    this.#blindTimer = setInterval(() => {
      if (this.#settings().blindSinks) this.keyframe();
    }, BLIND_KEYFRAME_INTERVAL_MS);
    this.#blindTimer.unref();
  }

  /** The encoder is gone: its timer goes too. */
  close(): void {
    clearInterval(this.#blindTimer);
    this.#blindTimer = undefined;
    this.#bin = undefined;
  }

  /** The bitrate to start the encoder at (bit/s), from the bounds in force now. */
  startBitrate(): number {
    if (this.#kind === 'VIDEO') this.#bitrate = this.#bounds().start;
    return this.#bitrate;
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
    this.refresh();
  }

  /** A sink left: its estimate no longer counts. */
  forget(sink: MediaNode): void {
    this.#rates.delete(sink);
    this.refresh();
  }

  #bounds(): EncoderBounds {
    const { owner, sinks } = this.#settings();
    return encoderBounds(owner, sinks, DEFAULT_VIDEO_BOUNDS);
  }

  /**
   * Sets the encoder's bitrate from the bounds in force now and the lowest REMB: called
   * when an estimate arrives and when the elements around the encoder change (a sink
   * came or went, a setting changed).
   */
  refresh(): void {
    if (this.#kind !== 'VIDEO') return;
    const { start, min, max } = this.#bounds();
    // Before any REMB the target is the start bitrate the elements set.
    const target = this.#rates.size ? Math.min(max, Math.max(min, Math.min(...this.#rates.values()))) : start;
    const prop = bitrateProperty(this.#kind, this.#format);
    // Small changes are not worth an encoder reconfiguration (REMB moves every 500 ms).
    if (!prop || !this.bin || Math.abs(target - this.#bitrate) < this.#bitrate * 0.1) return;
    this.#bitrate = target;
    this.bin.setProperty('enc', prop.name, prop.value(target)).catch(() => undefined);
  }
}
