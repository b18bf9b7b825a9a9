import { createHash } from 'node:crypto';
import type { GrayImage } from './GrayImage.ts';
import type { OcrEngine, OcrResult } from './TesseractOcr.ts';

/** Pictures whose reading is kept: the candidates of the last few frames. */
const REMEMBERED = 8;

/**
 * An OCR engine that reads a picture it has already read from memory. A plate in view
 * stays still for seconds (a car at a gate, a parked car): its cleaned, binarised crop
 * (ocrCrop) is then the same picture frame after frame, and tesseract, a 0.1-0.5 s
 * process per call, would read the same text again. The reading of the same bytes is
 * the same, so a picture seen again (the same size and bytes, by SHA-1) gets the
 * remembered result at once. Failures are not remembered: the next call tries again.
 */
export class RememberingOcr implements OcrEngine {
  readonly #engine: OcrEngine;
  readonly #known = new Map<string, OcrResult>();
  /** Pictures read from memory, and by the engine. */
  remembered = 0;
  read = 0;

  constructor(engine: OcrEngine) {
    this.#engine = engine;
  }

  async recognise(img: GrayImage): Promise<OcrResult> {
    const key = createHash('sha1').update(`${img.width}x${img.height}:`).update(img.data).digest('base64');
    const known = this.#known.get(key);
    if (known) {
      // Most recently used last: the oldest goes first.
      this.#known.delete(key);
      this.#known.set(key, known);
      this.remembered++;
      return known;
    }
    const result = await this.#engine.recognise(img);
    this.read++;
    this.#known.set(key, result);
    if (this.#known.size > REMEMBERED) this.#known.delete(this.#known.keys().next().value!);
    return result;
  }
}
