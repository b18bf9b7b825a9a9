/**
 * The colour a PointerTracker follows: a range of hue, saturation and value around the
 * dominant colour of the calibration region. Kurento's PointerDetectorFilter tracks "the
 * color of the object in the colorCalibrationRegion" (KMD pointerdetector,
 * trackColorFromCalibrationRegion); HSV keeps that colour recognisable when the lighting
 * changes its brightness, which RGB distances do not.
 *
 * Scales: hue in degrees [0, 360), saturation and value in 0..255.
 */

/** Below this saturation a pixel's hue is mostly noise (grey, white, black). */
const CHROMATIC_S = 50;
/** Below this value even a saturated pixel's hue is unreliable (dark pixels). */
const CHROMATIC_V = 40;
/** Hue tolerance bounds: never narrower than sensor jitter, never a third of the wheel. */
const MIN_HUE_TOL = 10;
const MAX_HUE_TOL = 40;
const HUE_MARGIN = 6;
/** How far below the region's saturation / value a pointer still matches (shadows, blur). */
const S_MARGIN = 60;
const V_MARGIN = 80;
/** Percentiles that bound the range: the few outlier pixels beyond them are ignored. */
const LOW_PCT = 0.05;
const HIGH_PCT = 0.95;

export interface Hsv {
  h: number;
  s: number;
  v: number;
}

/** RGB (0..255) to HSV; `out` is reused so the per-pixel loop allocates nothing. */
export function rgbToHsv(r: number, g: number, b: number, out: Hsv): Hsv {
  const max = r > g ? (r > b ? r : b) : (g > b ? g : b);
  const min = r < g ? (r < b ? r : b) : (g < b ? g : b);
  const delta = max - min;
  out.v = max;
  out.s = max === 0 ? 0 : (delta * 255) / max;
  if (delta === 0) out.h = 0;
  else if (max === r) out.h = ((60 * (g - b)) / delta + 360) % 360;
  else if (max === g) out.h = (60 * (b - r)) / delta + 120;
  else out.h = (60 * (r - g)) / delta + 240;
  return out;
}

/** Distance between two hues on the colour wheel, 0..180. */
export function hueDistance(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return d > 180 ? 360 - d : d;
}

export class HsvRange {
  private readonly scratch: Hsv = { h: 0, s: 0, v: 0 };

  /** `hueTolerance` 180 accepts any hue: the pointer is grey, white or black. */
  constructor(
    readonly hue: number,
    readonly hueTolerance: number,
    readonly sMin: number,
    readonly sMax: number,
    readonly vMin: number,
    readonly vMax: number,
  ) {}

  matches(r: number, g: number, b: number): boolean {
    // Value and saturation first, from max and min alone: most background pixels fail
    // there, before the hue's division and modulo.
    const max = r > g ? (r > b ? r : b) : (g > b ? g : b);
    if (max < this.vMin || max > this.vMax) return false;
    const min = r < g ? (r < b ? r : b) : (g < b ? g : b);
    const s = max === 0 ? 0 : ((max - min) * 255) / max;
    if (s < this.sMin || s > this.sMax) return false;
    if (this.hueTolerance >= 180) return true;
    const p = rgbToHsv(r, g, b, this.scratch);
    return hueDistance(p.h, this.hue) <= this.hueTolerance;
  }

  /**
   * Learns the range from the pixels of an RGB24 picture inside [x0, x1) x [y0, y1).
   * The dominant hue is the peak of a hue histogram of the chromatic pixels, so a few
   * pixels of background or skin in the corner of the box do not drag it; the bounds are
   * percentiles of the pixels near that peak, widened by margins for lighting changes.
   */
  static fromRegion(rgb: Uint8Array, width: number, x0: number, y0: number, x1: number, y1: number): HsvRange {
    const pixels: Hsv[] = [];
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = (y * width + x) * 3;
        pixels.push(rgbToHsv(rgb[i]!, rgb[i + 1]!, rgb[i + 2]!, { h: 0, s: 0, v: 0 }));
      }
    }
    const chromatic = pixels.filter((p) => p.s >= CHROMATIC_S && p.v >= CHROMATIC_V);
    if (chromatic.length * 2 < pixels.length) return achromatic(pixels);

    const centre0 = histogramPeak(chromatic);
    const members = chromatic.filter((p) => hueDistance(p.h, centre0) <= MAX_HUE_TOL);
    const hue = circularMean(members.map((p) => p.h));
    const spread = percentile(members.map((p) => hueDistance(p.h, hue)), HIGH_PCT);
    const tol = Math.min(MAX_HUE_TOL, Math.max(MIN_HUE_TOL, spread + HUE_MARGIN));
    const s = members.map((p) => p.s);
    const v = members.map((p) => p.v);
    return new HsvRange(
      hue, tol,
      Math.max(CHROMATIC_S, percentile(s, LOW_PCT) - S_MARGIN), 255,
      Math.max(CHROMATIC_V, percentile(v, LOW_PCT) - V_MARGIN), 255,
    );
  }
}

/** A grey/white/black pointer: hue says nothing, saturation and value bound it. */
function achromatic(pixels: readonly Hsv[]): HsvRange {
  const s = pixels.map((p) => p.s);
  const v = pixels.map((p) => p.v);
  return new HsvRange(
    0, 180,
    0, Math.min(255, percentile(s, HIGH_PCT) + S_MARGIN / 2),
    Math.max(0, percentile(v, LOW_PCT) - V_MARGIN / 2), Math.min(255, percentile(v, HIGH_PCT) + V_MARGIN / 2),
  );
}

/** Centre of the fullest 10-degree hue bin, each bin counted with its two neighbours. */
function histogramPeak(pixels: readonly Hsv[]): number {
  const bins = new Array<number>(36).fill(0);
  for (const p of pixels) bins[Math.floor(p.h / 10) % 36]!++;
  let best = 0;
  let bestCount = -1;
  for (let i = 0; i < 36; i++) {
    const c = bins[(i + 35) % 36]! + bins[i]! + bins[(i + 1) % 36]!;
    if (c > bestCount) { best = i; bestCount = c; }
  }
  return best * 10 + 5;
}

function circularMean(hues: readonly number[]): number {
  let sx = 0;
  let sy = 0;
  for (const h of hues) {
    sx += Math.cos((h * Math.PI) / 180);
    sy += Math.sin((h * Math.PI) / 180);
  }
  return ((Math.atan2(sy, sx) * 180) / Math.PI + 360) % 360;
}

function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
