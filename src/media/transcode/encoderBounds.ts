/**
 * The MediaElement properties that bound an engine encoder's video bitrate (KMD core,
 * MediaElement): `encoderBitrate`, the target ("Default: 300000"; Fluo starts at its
 * own START_BITRATE when none is set), `minEncoderBitrate` and `maxEncoderBitrate`
 * (0: no bound; REMB moves the bitrate between them). bps.
 */
export interface EncoderBitrates {
  encoderBitrate?: number;
  minEncoderBitrate: number;
  maxEncoderBitrate: number;
}

/** What one encoder works with: its start bitrate and the range REMB may move it in (bps). */
export interface EncoderBounds {
  readonly start: number;
  readonly min: number;
  readonly max: number;
}

/**
 * The bounds of an encoder that makes the output of `owner` (the element whose output
 * is encoded, as KMS's element-level encoder settings are: a filter or hub, or the
 * source of a transcoded edge) for `sinks` (the elements it feeds: a RecorderEndpoint
 * or RtpEndpoint's settings count too, the KMD's main use of them). One encoder serves
 * them all, so it takes the highest target any of them set (no sink gets less than it
 * asked for; the owner's when no sink set one), the highest minimum and the lowest
 * maximum; `fallback` fills what nobody set. A minimum above a maximum wins (the
 * higher bound is the explicit quality floor).
 */
export function encoderBounds(owner: EncoderBitrates | undefined, sinks: Iterable<EncoderBitrates>, fallback: EncoderBounds): EncoderBounds {
  let sinkTarget: number | undefined;
  let min = Math.max(fallback.min, owner?.minEncoderBitrate ?? 0);
  let max = owner?.maxEncoderBitrate ? Math.min(fallback.max, owner.maxEncoderBitrate) : fallback.max;
  for (const s of sinks) {
    if (s.encoderBitrate) sinkTarget = Math.max(sinkTarget ?? 0, s.encoderBitrate);
    min = Math.max(min, s.minEncoderBitrate);
    if (s.maxEncoderBitrate) max = Math.min(max, s.maxEncoderBitrate);
  }
  if (min > max) max = min;
  const target = sinkTarget ?? owner?.encoderBitrate ?? fallback.start;
  return { start: Math.min(max, Math.max(min, target)), min, max };
}
