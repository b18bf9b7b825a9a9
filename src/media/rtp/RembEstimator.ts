/**
 * Kurento's RembParams (KMD core), with the defaults the KMD gives. `linealFactorMin`
 * has no documented default; 5 kbps per step keeps the linear phase moving when the
 * estimate sits right at the threshold (its computed factor is then 0).
 */
export interface RembParams {
  packetsRecvIntervalTop: number;
  exponentialFactor: number;
  linealFactorMin: number;
  linealFactorGrade: number;
  decrementFactor: number;
  thresholdFactor: number;
  upLosses: number;
  rembOnConnect: number;
}

export const DEFAULT_REMB_PARAMS: Readonly<RembParams> = {
  packetsRecvIntervalTop: 100, exponentialFactor: 0.04, linealFactorMin: 5000, linealFactorGrade: 30,
  decrementFactor: 0.5, thresholdFactor: 0.8, upLosses: 12, rembOnConnect: 300_000,
};

/** Kurento updates its local estimate every 500 ms (RembParams.linealFactorGrade doc). */
export const REMB_UPDATE_MS = 500;

/**
 * The local receive-bandwidth estimate a WebRtcEndpoint sends as REMB to its remote
 * sender, following the rules Kurento documents for RembParams:
 *  - it starts at `rembOnConnect`;
 *  - every update, when the fraction lost (N/256, smoothed over `packetsRecvIntervalTop`
 *    packets, RFC 3550 §6.4.1 definition) is above `upLosses`, the threshold becomes
 *    REMB·thresholdFactor and the estimate drops to REMB·decrementFactor;
 *  - below the threshold it grows exponentially, REMB·(1 + exponentialFactor);
 *  - at or above it, linearly, by max(linealFactorMin, (REMB − TH)/linealFactorGrade).
 * Pure: fed with sequence numbers and ticked by its owner.
 */
export class RembEstimator {
  #p: RembParams;
  #remb: number;
  #threshold = Infinity;
  /** Loss accounting over the current window of received packets. */
  #baseSeq: number | undefined;
  #maxSeq = 0;
  #cycles = 0;
  #windowStartExtended = 0;
  #windowReceived = 0;
  #fractionLost = 0;

  constructor(params: Partial<RembParams> = {}) {
    this.#p = { ...DEFAULT_REMB_PARAMS, ...clean(params) };
    this.#remb = this.#p.rembOnConnect;
  }

  /** New parameters (setRembParams); a changed rembOnConnect restarts the estimate. */
  setParams(params: Partial<RembParams>): void {
    const next = { ...DEFAULT_REMB_PARAMS, ...clean(params) };
    if (next.rembOnConnect !== this.#p.rembOnConnect) {
      this.#remb = next.rembOnConnect;
      this.#threshold = Infinity;
    }
    this.#p = next;
  }

  get params(): Readonly<RembParams> {
    return this.#p;
  }

  /** Current estimate in bps. */
  get bitrate(): number {
    return this.#remb;
  }

  /** Smoothed fraction lost, in 1/256 units as in RTCP reception reports. */
  get fractionLost(): number {
    return this.#fractionLost;
  }

  /** One received RTP packet of the estimated stream (its 16-bit sequence number). */
  packet(seq: number): void {
    if (this.#baseSeq === undefined) {
      this.#baseSeq = seq;
      this.#maxSeq = seq;
      this.#windowStartExtended = seq;
    } else {
      const delta = (seq - this.#maxSeq) & 0xffff;
      // Forward within half the sequence space is new; the rest is reordering or a
      // duplicate, which counts as received without moving the highest sequence.
      if (delta !== 0 && delta < 0x8000) {
        if (seq < this.#maxSeq) this.#cycles += 0x10000;
        this.#maxSeq = seq;
      }
    }
    this.#windowReceived++;
    if (this.#windowReceived >= this.#p.packetsRecvIntervalTop) {
      const extended = this.#cycles + this.#maxSeq;
      const expected = extended - this.#windowStartExtended + 1;
      const lost = Math.max(0, expected - this.#windowReceived);
      this.#fractionLost = expected > 0 ? Math.min(255, Math.floor((lost * 256) / expected)) : 0;
      this.#windowStartExtended = extended + 1;
      this.#windowReceived = 0;
    }
  }

  /** One step of the estimate (every REMB_UPDATE_MS); returns the new value in bps. */
  update(): number {
    const p = this.#p;
    if (this.#fractionLost > p.upLosses) {
      this.#threshold = this.#remb * p.thresholdFactor;
      this.#remb = this.#remb * p.decrementFactor;
      // Losses are acted on once: the next window must show them again.
      this.#fractionLost = 0;
    } else if (this.#remb < this.#threshold) {
      this.#remb = this.#remb * (1 + p.exponentialFactor);
    } else {
      this.#remb += Math.max(p.linealFactorMin, (this.#remb - this.#threshold) / p.linealFactorGrade);
    }
    this.#remb = Math.max(1, Math.round(this.#remb));
    return this.#remb;
  }
}

/** Drops undefined/non-numeric members so they fall back to the defaults. */
function clean(params: Partial<RembParams>): Partial<RembParams> {
  const out: Partial<RembParams> = {};
  for (const [k, v] of Object.entries(params) as Array<[keyof RembParams, unknown]>) {
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) out[k] = v;
  }
  return out;
}
