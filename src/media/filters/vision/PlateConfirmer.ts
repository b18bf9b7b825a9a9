/**
 * Turns per-frame plate reads into PlateDetected reports: one per appearance of a plate.
 *
 * OCR of a moving picture is noisy (one frame reads `8886AJR`, the next `B886AJR`), and
 * an application acting on each event (the FIWARE tutorial writes each into Orion) wants
 * a plate once, not at 5 fps. So:
 *  - reads of a new plate (not near the one in view) are gathered while they stay within
 *    NEAR_EDITS of each other, and after `window` of them the text with the most
 *    confidence summed over its reads is reported. Two agreeing reads were enough
 *    before, and through Chromium's camera under load the first two reads of 8886AJR
 *    once both said `8836AJR` (confidences 49-70, where right reads scored 20-88), which
 *    was reported; later reads were right. One read at `highConfidence` or more, with
 *    nothing in view, is still enough alone;
 *  - a reported text stays "in view" while reads keep finding it, or a text within
 *    NEAR_EDITS edits of it (`88386AJR` for `8886AJR`: the same plate misread, seen twice
 *    in a row through a browser's camera and its encoder); `goneAfter` consecutive frames
 *    without any plate read end the appearance, so it is reported again when it comes
 *    back. Reads gathered for a plate that leaves before `window` reads (at least two),
 *    or is replaced by another plate, are reported then: a short appearance is late,
 *    not lost.
 */

/** Reads this close to the plate in view (Levenshtein distance) are that plate misread. */
const NEAR_EDITS = 2;

export interface PlateConfirmerOptions {
  /** Confidence (0-100) at which a single read is enough (default 90). */
  readonly highConfidence?: number;
  /** Consecutive frames without a plate that end an appearance (default 3). */
  readonly goneAfter?: number;
  /** Reads of a new plate weighed before it is reported (default 4). */
  readonly window?: number;
}

export class PlateConfirmer {
  readonly #highConfidence: number;
  readonly #goneAfter: number;
  readonly #window: number;
  /** Reads of a plate not reported yet, all near each other. */
  #reads: Array<{ text: string; confidence: number }> = [];
  /** The plate reported and still in view. */
  #inView: string | undefined;
  #misses = 0;

  constructor(opts: PlateConfirmerOptions = {}) {
    this.#highConfidence = opts.highConfidence ?? 90;
    this.#goneAfter = opts.goneAfter ?? 3;
    this.#window = Math.max(2, opts.window ?? 4);
  }

  get inView(): string | undefined {
    return this.#inView;
  }

  /**
   * One analysed frame: the plate text read (undefined when none was found or read) and
   * its confidence. Returns the plate to report now, if any.
   */
  observe(plate: string | undefined, confidence = 0): string | undefined {
    if (plate === undefined) {
      if (++this.#misses < this.#goneAfter) return undefined;
      this.#inView = undefined;
      // The plate left: what was gathered for it is reported now, if it was read twice.
      const late = this.#reads.length >= 2 ? this.#best() : undefined;
      this.#reads = [];
      return late;
    }
    this.#misses = 0;
    if (this.#inView !== undefined && editDistance(plate, this.#inView) <= NEAR_EDITS) return undefined;
    if (this.#inView === undefined && this.#reads.length === 0 && confidence >= this.#highConfidence) return this.#report(plate);
    // Another plate than the one being gathered: what was gathered is reported if it was
    // read twice (that plate left), and the new one's reads start.
    if (this.#reads.length && editDistance(plate, this.#reads[0]!.text) > NEAR_EDITS) {
      const left = this.#reads.length >= 2 ? this.#best() : undefined;
      this.#reads = [{ text: plate, confidence: Math.max(0, confidence) }];
      if (left !== undefined) {
        this.#inView = left;
        return left;
      }
      return undefined;
    }
    this.#reads.push({ text: plate, confidence: Math.max(0, confidence) });
    return this.#reads.length >= this.#window ? this.#report(this.#best()) : undefined;
  }

  /** Forgets everything (a new stream, a seek). */
  reset(): void {
    this.#reads = [];
    this.#inView = undefined;
    this.#misses = 0;
  }

  #report(plate: string): string {
    this.#inView = plate;
    this.#reads = [];
    return plate;
  }

  /** The gathered text with the most confidence summed over its reads (the earliest on a tie). */
  #best(): string {
    const sums = new Map<string, number>();
    for (const r of this.#reads) sums.set(r.text, (sums.get(r.text) ?? 0) + r.confidence + 1);
    let best = this.#reads[0]!.text;
    for (const [text, sum] of sums) if (sum > sums.get(best)!) best = text;
    return best;
  }
}

/** Levenshtein distance (plates are under 10 characters: the full table is cheap). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
