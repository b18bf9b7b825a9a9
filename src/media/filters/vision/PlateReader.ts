/**
 * The analysis core of Kurento's PlateDetectorFilter: raw frames in, `PlateDetected`
 * plates out.
 *
 * The filter node feeds each frame its tap delivers (at 2-5 fps: OCR is slow) to
 * `read()`, and raises `PlateDetected {plate}` when the result carries `plate`. One OCR
 * process at a time per reader: a frame arriving while the previous one is still being
 * read is dropped and counted, never queued (a queue would only make the reports later).
 * Nothing a frame contains can make `read()` reject: a malformed frame is refused, an
 * OCR failure (tesseract missing, crashed, timed out) is counted and logged, and the next
 * frame is read as usual.
 */
import { Logger } from '../../../log/Logger.ts';
import { grayFrom, type RawFrame } from './GrayImage.ts';
import { cropForOcr } from './ocrCrop.ts';
import { PlateConfirmer, type PlateConfirmerOptions } from './PlateConfirmer.ts';
import { PlateLocator, type PlateCandidate } from './PlateLocator.ts';
import { normalisePlate } from './plateText.ts';
import { RememberingOcr } from './RememberingOcr.ts';
import { TesseractOcr, type OcrEngine } from './TesseractOcr.ts';

const log = Logger.get('PlateDetectorFilter');

export interface PlateReaderOptions extends PlateConfirmerOptions {
  /** Default: Debian's tesseract CLI. */
  readonly ocr?: OcrEngine;
  readonly plateWidthPercentage?: number;
  /** Candidates OCR'd per frame at most, best first, until one reads as a plate (default 2). */
  readonly maxOcrPerFrame?: number;
}

export type PlateReadStatus =
  /** The reader was busy with an earlier frame. */
  | 'dropped'
  /** The frame does not match its announced size or format. */
  | 'refused'
  /** No plate-like region, or none whose text reads as a plate. */
  | 'none'
  /** A plate was read (reported or not: see `plate`). */
  | 'read'
  /** Every OCR call for this frame failed. */
  | 'failed';

export interface PlateReadResult {
  readonly status: PlateReadStatus;
  /** Set once per appearance of a plate: raise PlateDetected with it. */
  readonly plate?: string;
  /** What this frame read, normalised, reported or not. */
  readonly text?: string;
  readonly confidence?: number;
  readonly candidates?: readonly PlateCandidate[];
  /** Why the frame was refused, or the OCR error. */
  readonly reason?: string;
  /** Time spent on this frame, ms. */
  readonly ms: number;
}

export interface PlateReaderStats {
  frames: number;
  dropped: number;
  refused: number;
  ocrCalls: number;
  ocrFailures: number;
  reported: number;
}

export class PlateReader {
  readonly locator: PlateLocator;
  readonly #ocr: OcrEngine;
  readonly #confirmer: PlateConfirmer;
  readonly #maxOcr: number;
  readonly #stats: PlateReaderStats = { frames: 0, dropped: 0, refused: 0, ocrCalls: 0, ocrFailures: 0, reported: 0 };
  #busy = false;

  constructor(opts: PlateReaderOptions = {}) {
    this.locator = new PlateLocator({ plateWidthPercentage: opts.plateWidthPercentage });
    this.#ocr = opts.ocr ?? new RememberingOcr(new TesseractOcr());
    this.#confirmer = new PlateConfirmer(opts);
    this.#maxOcr = opts.maxOcrPerFrame ?? 2;
  }

  /** Kurento's `setPlateWidthPercentage`; RangeError outside (0, 1]. */
  setPlateWidthPercentage(p: number): void {
    this.locator.setPlateWidthPercentage(p);
  }

  get busy(): boolean {
    return this.#busy;
  }

  /** Counters since construction (a copy). */
  get stats(): Readonly<PlateReaderStats> {
    return { ...this.#stats };
  }

  /**
   * Analyses one frame. GRAY8 data is read in place, also after OCR of a first candidate:
   * it must not change until the promise settles (FrameTap's buffers never do); nothing
   * of it is kept afterwards.
   */
  async read(frame: RawFrame): Promise<PlateReadResult> {
    const started = performance.now();
    const ms = (): number => performance.now() - started;
    this.#stats.frames++;
    if (this.#busy) {
      this.#stats.dropped++;
      return { status: 'dropped', ms: ms() };
    }
    this.#busy = true;
    try {
      const img = frame !== null && typeof frame === 'object' ? grayFrom(frame) : 'no frame';
      if (typeof img === 'string') {
        this.#stats.refused++;
        log.debug(`frame refused: ${img}`);
        return { status: 'refused', reason: img, ms: ms() };
      }
      const candidates = this.locator.locate(img);
      let failure: string | undefined;
      let calls = 0;
      for (const c of candidates) {
        if (calls >= this.#maxOcr) break;
        const crop = cropForOcr(img, c);
        // Fewer than 4 character blobs is no plate: spare the 0.1-0.5 s OCR call.
        if (crop.characters < 4) continue;
        calls++;
        this.#stats.ocrCalls++;
        let result;
        try {
          result = await this.#ocr.recognise(crop.image);
        } catch (e) {
          failure = e instanceof Error ? e.message : String(e);
          this.#ocrFailed(failure);
          continue;
        }
        const text = normalisePlate(result.text);
        if (text === undefined) continue;
        const plate = this.#confirmer.observe(text, result.confidence);
        log.debug(`read ${text} (confidence ${result.confidence})`);
        if (plate !== undefined) this.#reported(plate, `confidence ${result.confidence}`);
        return { status: 'read', plate, text, confidence: result.confidence, candidates, ms: ms() };
      }
      if (failure !== undefined) {
        // Not evidence that the plate left: the confirmer is not told.
        return { status: 'failed', reason: failure, candidates, ms: ms() };
      }
      // A plate that left may be reported now (PlateConfirmer: read twice, not four times).
      const left = this.#confirmer.observe(undefined);
      if (left !== undefined) this.#reported(left, 'as it left the picture');
      return { status: 'none', ...(left !== undefined ? { plate: left } : {}), candidates, ms: ms() };
    } catch (e) {
      // A bug of ours on a strange frame must cost that frame only.
      this.#stats.refused++;
      const reason = e instanceof Error ? e.message : String(e);
      log.warn(`plate analysis failed on a frame: ${reason}`);
      return { status: 'refused', reason, ms: ms() };
    } finally {
      this.#busy = false;
    }
  }

  /** Forgets the plate in view (a new stream). */
  reset(): void {
    this.#confirmer.reset();
  }

  #reported(plate: string, why: string): void {
    this.#stats.reported++;
    log.info(`plate detected: ${plate} (${why})`);
  }

  #ocrFailed(message: string): void {
    const n = ++this.#stats.ocrFailures;
    // Each failure counted, the log kept readable: a missing tesseract fails every frame.
    if (n === 1 || n % 100 === 0) log.warn(`OCR failed (${n} so far): ${message}`);
    else log.debug(`OCR failed: ${message}`);
  }
}
