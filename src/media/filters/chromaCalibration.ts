/**
 * The colour measurement of ChromaFilter's calibration (Kurento docs, Chroma tutorial:
 * "In the first second ... a calibration process is done, by detecting the color inside
 * that square"): the mean colour of the window, over the frames of that second, read
 * from small RGBx copies of the picture (FrameTap).
 */

/** A window in pixels of the picture (KMD chroma.WindowParam; x, y: its top-left corner). */
export interface PixelWindow { x: number; y: number; width: number; height: number }

export interface Rgb { r: number; g: number; b: number }

/** Why the window does not fit a `width`x`height` picture, or undefined. */
export function outsidePicture(w: PixelWindow, width: number, height: number): string | undefined {
  if (w.x + w.width <= width && w.y + w.height <= height) return undefined;
  return `the window (x ${w.x}, y ${w.y}, ${w.width}x${w.height}) does not fit the ${width}x${height} picture`;
}

/** Sums of the window's pixels over frames; the picture is scaled to tapWidth x tapHeight RGBx. */
export class ColourMeter {
  #r = 0;
  #g = 0;
  #b = 0;
  #n = 0;
  readonly #x0: number;
  readonly #x1: number;
  readonly #y0: number;
  readonly #y1: number;

  constructor(readonly tapWidth: number, readonly tapHeight: number, w: PixelWindow, picture: { width: number; height: number }) {
    const sx = tapWidth / picture.width;
    const sy = tapHeight / picture.height;
    // At least one tap pixel, inside the tap picture.
    this.#x0 = Math.min(tapWidth - 1, Math.floor(w.x * sx));
    this.#y0 = Math.min(tapHeight - 1, Math.floor(w.y * sy));
    this.#x1 = Math.max(this.#x0 + 1, Math.min(tapWidth, Math.ceil((w.x + w.width) * sx)));
    this.#y1 = Math.max(this.#y0 + 1, Math.min(tapHeight, Math.ceil((w.y + w.height) * sy)));
  }

  add(frame: Buffer): void {
    const stride = this.tapWidth * 4;
    for (let y = this.#y0; y < this.#y1; y++) {
      for (let i = y * stride + this.#x0 * 4, end = y * stride + this.#x1 * 4; i < end; i += 4) {
        this.#r += frame[i]!;
        this.#g += frame[i + 1]!;
        this.#b += frame[i + 2]!;
        this.#n++;
      }
    }
  }

  get frames(): number {
    return this.#n / ((this.#x1 - this.#x0) * (this.#y1 - this.#y0));
  }

  mean(): Rgb | undefined {
    if (this.#n === 0) return undefined;
    return { r: Math.round(this.#r / this.#n), g: Math.round(this.#g / this.#n), b: Math.round(this.#b / this.#n) };
  }
}
