/** Samples kept: with one every 1-2 s, the window reaches back 2-6 s. */
const SAMPLES = 4;
/** Samples closer than this to the last one are not kept (a stats poll between reports). */
const MIN_SPACING_MS = 500;
/** The rate is measured over at least this long when the samples allow it (ms). */
const WINDOW_MS = 2000;

/**
 * The rate a stream is sent at, measured: what KMS reports as an outbound stream's
 * `targetBitrate` (kms-core's BaseRtpEndpointImpl takes GStreamer's RTPSource
 * `bitrate`, the sender's own estimate of what it sends), for audio as for video.
 * The sender samples its payload octet count now and then (with its sender reports);
 * the rate is the octets sent since the oldest sample at least WINDOW_MS old (or the
 * oldest there is), per second. Octet counts may wrap at 2^32, as an SR's do
 * (RFC 3550 §6.4.1). Nothing here runs per packet.
 */
export class SendRate {
  readonly #at = new Float64Array(SAMPLES);
  readonly #octets = new Float64Array(SAMPLES);
  #count = 0;
  /** Slot of the newest sample. */
  #head = -1;

  /** Records `octets` (the stream's running payload octet count) at `at` (ms). */
  sample(octets: number, at: number): void {
    if (this.#count && at - this.#at[this.#head]! < MIN_SPACING_MS) return;
    this.#head = (this.#head + 1) % SAMPLES;
    this.#at[this.#head] = at;
    this.#octets[this.#head] = octets;
    this.#count = Math.min(this.#count + 1, SAMPLES);
  }

  /** Bits per second sent up to `at`, when the count is `octets`; 0 before a sample. */
  bps(octets: number, at: number): number {
    if (!this.#count) return 0;
    // Newest first: the first sample at least WINDOW_MS old, else the oldest kept.
    let slot = this.#head;
    for (let i = 0; i < this.#count; i++) {
      slot = (this.#head - i + SAMPLES) % SAMPLES;
      if (at - this.#at[slot]! >= WINDOW_MS) break;
    }
    const ms = at - this.#at[slot]!;
    if (ms <= 0) return 0;
    let sent = octets - this.#octets[slot]!;
    if (sent < 0) sent += 2 ** 32;
    return Math.round((sent * 8000) / ms);
  }
}
