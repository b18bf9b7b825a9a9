import type { Wire } from '../../shared/workerProtocol.ts';

type Kind = 'AUDIO' | 'VIDEO';

/** Weight of a new sample in the moving average: about the last 16 packets dominate. */
const ALPHA = 1 / 16;

/**
 * Latency figures of one element while its pipeline's `latencyStats` is on (KMD core,
 * MediaPipeline.latencyStats; ElementStats.inputLatency and EndpointStats.E2ELatency,
 * both "average ... in nano seconds"). Times are measured from the moment the packet
 * entered the pipeline (MediaPacket.at, taken by the receiving endpoint) to the moment
 * it reaches this element's input, and to the moment this endpoint has put it on the
 * wire. Kurento computes them only on request because they cost; here they cost two
 * clock reads per packet and sink, still only while switched on.
 */
export class LatencyMeter {
  readonly #input: Partial<Record<Kind, number>> = {};
  readonly #e2e: Partial<Record<Kind, number>> = {};

  input(kind: Kind, ms: number): void {
    this.#input[kind] = average(this.#input[kind], ms);
  }

  output(kind: Kind, ms: number): void {
    this.#e2e[kind] = average(this.#e2e[kind], ms);
  }

  /** The ElementStats/EndpointStats fields, 7.x lists and the 6.x per-type doubles. */
  fields(endpoint: boolean, mediaType: string | null): Record<string, Wire> {
    const list = (m: Partial<Record<Kind, number>>): Wire[] => (['AUDIO', 'VIDEO'] as const)
      .filter((k) => m[k] !== undefined && (!mediaType || mediaType === k))
      .map((k) => ({ __type__: 'MediaLatencyStat', name: `sink_${k.toLowerCase()}_default`, type: k, avg: ns(m[k]) }));
    const out: Record<string, Wire> = {
      inputLatency: list(this.#input), inputAudioLatency: ns(this.#input.AUDIO), inputVideoLatency: ns(this.#input.VIDEO),
    };
    if (endpoint) Object.assign(out, { E2ELatency: list(this.#e2e), audioE2ELatency: ns(this.#e2e.AUDIO), videoE2ELatency: ns(this.#e2e.VIDEO) });
    return out;
  }
}

function average(prev: number | undefined, sample: number): number {
  return prev === undefined ? sample : prev + (sample - prev) * ALPHA;
}

function ns(ms: number | undefined): number {
  return ms === undefined ? 0 : Math.round(ms * 1e6);
}
