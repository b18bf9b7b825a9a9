/**
 * Turns per-frame plate reads into PlateDetected reports: one per appearance of a plate.
 *
 * OCR of a moving picture is noisy (one frame reads `8886AJR`, the next `B886AJR`), and
 * an application acting on each event (the FIWARE tutorial writes each into Orion) wants
 * a plate once, not at 5 fps. So:
 *  - a text is confirmed when two consecutive reads agree, or when one read is very
 *    confident and no plate is in view (while one is, a different text needs two reads:
 *    a confident misread of the same plate must not become a second plate);
 *  - a confirmed text is reported once, then stays "in view" while reads keep finding
 *    it; `goneAfter` consecutive frames without any plate read end the appearance, so it
 *    is reported again when it comes back. Reads of other, unconfirmed text neither keep
 *    it in view nor end the appearance.
 */

export interface PlateConfirmerOptions {
  /** Confidence (0-100) at which a single read is enough (default 90). */
  readonly highConfidence?: number;
  /** Consecutive frames without a plate that end an appearance (default 3). */
  readonly goneAfter?: number;
}

export class PlateConfirmer {
  readonly #highConfidence: number;
  readonly #goneAfter: number;
  /** The previous frame's read, for the two-in-a-row rule. */
  #last: string | undefined;
  /** The plate reported and still in view. */
  #inView: string | undefined;
  #misses = 0;

  constructor(opts: PlateConfirmerOptions = {}) {
    this.#highConfidence = opts.highConfidence ?? 90;
    this.#goneAfter = opts.goneAfter ?? 3;
  }

  get inView(): string | undefined {
    return this.#inView;
  }

  /**
   * One analysed frame: the plate text read (undefined when none was found or read) and
   * its confidence. Returns the plate to report now, if any.
   */
  observe(plate: string | undefined, confidence = 0): string | undefined {
    const previous = this.#last;
    this.#last = plate;
    if (plate === undefined) {
      if (this.#inView !== undefined && ++this.#misses >= this.#goneAfter) this.#inView = undefined;
      return undefined;
    }
    if (plate === this.#inView) {
      this.#misses = 0;
      return undefined;
    }
    const confirmed = plate === previous || (this.#inView === undefined && confidence >= this.#highConfidence);
    if (!confirmed) return undefined;
    this.#inView = plate;
    this.#misses = 0;
    return plate;
  }

  /** Forgets everything (a new stream, a seek). */
  reset(): void {
    this.#last = undefined;
    this.#inView = undefined;
    this.#misses = 0;
  }
}
