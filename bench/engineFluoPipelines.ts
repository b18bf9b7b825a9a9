/**
 * The engine pipelines Fluo builds, for gst-launch-1.0 to run alone as the reference:
 * Fluo's own descriptions, with the ports the engine would choose (port=0) fixed.
 */
import { transcoderDescription as fluoTranscoder } from '../src/media/transcode/formats.ts';
import { profilePlan, recorderDescription } from '../src/media/recorder/profiles.ts';
import type { RtpCodecInfo } from '../src/media/graph/MediaPacket.ts';

/** Fluo's transcoder bin (500 kbps start bitrate, as Fluo starts it) on fixed ports. */
export function transcoderDescription(from: RtpCodecInfo, to: RtpCodecInfo, inPort: number, outPort: number): string {
  return fluoTranscoder('VIDEO', from, to, outPort, 500_000).replace('port=0', `port=${inPort}`);
}

/** Fluo's WEBM recorder bin for VP8 + Opus, on fixed ports, writing `file`. */
export function recorderDescriptionForBench(videoPort: number, audioPort: number, file: string): string {
  const plan = profilePlan('WEBM')!;
  return recorderDescription(plan, [{ kind: 'VIDEO', codec: { name: 'VP8', clockRate: 90000 } }, { kind: 'AUDIO', codec: { name: 'opus', clockRate: 48000, channels: 2 } }],
    `filesink location=${file} buffer-mode=unbuffered sync=false`, 500_000)
    .replace(/name=in_video address=127\.0\.0\.1 port=0/, `name=in_video address=127.0.0.1 port=${videoPort}`)
    .replace(/name=in_audio address=127\.0\.0\.1 port=0/, `name=in_audio address=127.0.0.1 port=${audioPort}`);
}
