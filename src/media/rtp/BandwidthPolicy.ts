import { RembEstimator, type RembParams } from './RembEstimator.ts';
import { DEFAULT_BANDWIDTH, type BandwidthSettings } from '../../shared/bandwidth.ts';

/** Kurento's floor for the REMB an endpoint sends (BaseRtpEndpoint.minVideoRecvBandwidth doc). */
export const MIN_REMB_BPS = 30_000;

/**
 * The bitrate rules of one endpoint, as Kurento documents them for BaseRtpEndpoint and
 * RembParams, kept apart from the I/O so they can be tested:
 *  - as a receiver, the REMB sent to its peer is the lower of its own loss-based
 *    estimate (RembEstimator) and what its sinks can take, kept within
 *    [max(minVideoRecvBandwidth, 30 kbps), maxVideoRecvBandwidth (0 = unlimited)];
 *  - as a sender, what it reports upstream is its peer's REMB (unlimited until one
 *    arrives) kept within [minVideoSendBandwidth, maxVideoSendBandwidth] (0 = no
 *    bound), so with the defaults a source never gets asked for more than 500 kbps per
 *    sink, as with KMS ("a VERY conservative value": set maxVideoSendBandwidth higher).
 */
export class BandwidthPolicy {
  readonly estimator: RembEstimator;
  #s: BandwidthSettings = { ...DEFAULT_BANDWIDTH };
  /** The latest REMB of this endpoint's peer (bps), undefined before the first. */
  #peerRemb: number | undefined;
  /** What each sink reported it can take (bps). */
  readonly #sinks = new Map<object, number>();

  constructor(params: Partial<RembParams> = {}) {
    this.estimator = new RembEstimator(params);
  }

  /** A bitrate property changed (Kurento name, kbps); false when the name is not one of them. */
  set(name: string, kbps: number): boolean {
    if (!(name in this.#s)) return false;
    this.#s[name as keyof BandwidthSettings] = Number.isFinite(kbps) && kbps > 0 ? kbps : 0;
    return true;
  }

  get settings(): Readonly<BandwidthSettings> {
    return this.#s;
  }

  sinkReport(sink: object, bps: number): void {
    this.#sinks.set(sink, bps);
  }

  sinkGone(sink: object): void {
    this.#sinks.delete(sink);
  }

  peerRemb(bps: number): void {
    this.#peerRemb = bps;
  }

  /** The REMB to send to this endpoint's peer now, in bps (after an estimator update). */
  rembToPeer(): number {
    let bps = this.estimator.bitrate;
    for (const v of this.#sinks.values()) bps = Math.min(bps, v);
    const floor = Math.max(this.#s.minVideoRecvBandwidth * 1000, MIN_REMB_BPS);
    const cap = this.#s.maxVideoRecvBandwidth > 0 ? this.#s.maxVideoRecvBandwidth * 1000 : Infinity;
    return Math.round(Math.min(Math.max(bps, floor), Math.max(cap, floor)));
  }

  /**
   * The video bitrate this endpoint's sending aims at now, in bps (KMS's outbound
   * `targetBitrate`): its peer's REMB within the send bounds; before the first REMB,
   * maxVideoSendBandwidth (0 when unbounded: there is no target yet).
   */
  sendTarget(): number {
    const bps = this.upstreamReport();
    return Number.isFinite(bps) ? Math.round(bps) : 0;
  }

  /** What this endpoint, as a sink, tells its source it can take, in bps (Infinity: no limit). */
  upstreamReport(): number {
    let bps = this.#peerRemb ?? Infinity;
    if (this.#s.maxVideoSendBandwidth > 0) bps = Math.min(bps, this.#s.maxVideoSendBandwidth * 1000);
    if (this.#s.minVideoSendBandwidth > 0) bps = Math.max(bps, this.#s.minVideoSendBandwidth * 1000);
    return bps;
  }
}
