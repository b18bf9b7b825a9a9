import type { MixSettings } from './MixingHubNode.ts';

/**
 * The engine bins of the mixing hubs, as gst-launch descriptions (shared with
 * bench/hubs.ts, which runs the same pipeline alone in gst-launch-1.0 as the reference).
 * `suffix` keeps element names apart when several go into one gst-launch pipeline.
 */

/**
 * How long the mixers wait for an input plugged in after they started (ns): its jitter
 * buffer (50 ms) and decoder. Without it a late-plugged input's buffers are all late
 * (aggregator `min-upstream-latency`); the mixers still never wait longer for a
 * stalled input, whose last picture stays (a Kurento complaint: the output blocked for
 * seconds when someone left).
 */
const UPSTREAM_LATENCY_NS = 100_000_000;
/** Added latency of the compositor in live mode (ns): slack for a late frame. */
const MIX_LATENCY_NS = 20_000_000;
/**
 * The audiomixers' (ns): more slack, as a late audio buffer is dropped and heard as a
 * gap, where a late frame only repeats the last picture (gaps measured on a loaded
 * 2-core machine at 20 ms).
 */
const AUDIO_MIX_LATENCY_NS = 60_000_000;
/**
 * Raw audio between the inputs, the mixers and the encoders, every field fixed (opusdec's
 * own S16LE): with the format left open, an encoder linked later renegotiated a running
 * mixer's output format, which could stop that mixer with a flow error for every input
 * pushing into it (seen when a participant left a group call).
 */
export const AUDIO_CAPS = 'audio/x-raw,format=S16LE,layout=interleaved,rate=48000,channels=2';

/**
 * Both mixers are `force-live` (GStreamer 1.22): an aggregator decides whether it is
 * live from a latency query through all its inputs, and one query that failed (an
 * input being linked at that moment) left it waiting, without a timeout, for a buffer
 * on every pad. An input's thread then blocked on that mixer's full pad and fed no
 * other port's mix: on a loaded machine whole mixes came out silent (seen in
 * test/hubs/composite.test.ts with two CPU hogs; the stacks showed the mixers'
 * threads in g_cond_wait and the inputs' in the aggregator's chain).
 */
const LIVE = 'force-live=true';

/** The compositor `mix`, fed by a live black source on its `sink_0` (hidden), its picture on tee `t`. */
export function videoMixerDescription({ width, height, framerate }: MixSettings, suffix = ''): string {
  return `compositor name=mix${suffix} ${LIVE} background=black latency=${MIX_LATENCY_NS} min-upstream-latency=${UPSTREAM_LATENCY_NS} ignore-inactive-pads=true sink_0::alpha=0 ` +
    `! video/x-raw,width=${width},height=${height},framerate=${framerate}/1 ! tee name=t${suffix} allow-not-linked=true ` +
    `videotestsrc is-live=true pattern=black ! video/x-raw,width=16,height=16,framerate=${framerate}/1 ! mix${suffix}.sink_0`;
}

/** One port's audiomixer `amix`, kept running by a live silent source, its sound on tee `t`. */
export function audioMixerDescription(suffix = ''): string {
  return `audiomixer name=amix${suffix} ${LIVE} latency=${AUDIO_MIX_LATENCY_NS} min-upstream-latency=${UPSTREAM_LATENCY_NS} ignore-inactive-pads=true ! ${AUDIO_CAPS} ! tee name=t${suffix} allow-not-linked=true ` +
    `audiotestsrc is-live=true wave=silence samplesperbuffer=960 ! ${AUDIO_CAPS} ! amix${suffix}.sink_0`;
}

/** After a video input's decoder: a short leaky queue before the compositor's pad. */
export const VIDEO_INPUT_TAIL = ' ! queue max-size-buffers=2 max-size-bytes=0 max-size-time=0 leaky=downstream';

/** After an audio input's decoder: a tee into the other ports' mixers. */
export function audioInputTail(suffix = ''): string {
  return ` ! ${AUDIO_CAPS} ! tee name=t${suffix} allow-not-linked=true`;
}
