/**
 * Where in a frame a licence plate may be, without any trained model.
 *
 * OpenCV's plate cascades did not find a synthetic plate here (engine-host-notes, "OCR
 * offline"), so this uses what every plate has: a row of characters, i.e. many strong
 * vertical edges close together, on a bright (or, inverted, dark) rectangle of roughly
 * European proportions (520x110 mm, 4.7:1; 2:1 to 6:1 accepted for other formats and
 * perspective). Steps:
 *  1. vertical-edge map (horizontal gradient over a threshold);
 *  2. dense edge rows: pixels whose neighbourhood of about one character pair holds many
 *     edges, grouped into blobs (a text band);
 *  3. each band grown to the plate's bright background around it until a darker border;
 *  4. boxes scored by whole characters inside, edge density, contrast, aspect ratio and
 *     closeness to the expected width (Kurento's `setPlateWidthPercentage`), best first,
 *     overlaps removed.
 * About 5-10 ms for 640x480 in Node 20: fine at the 2-5 fps the OCR allows.
 */
import { labelComponents } from './components.ts';
import { iou, type GrayImage, type Rect } from './GrayImage.ts';
import { otsuThreshold, segmentCharacters } from './ocrCrop.ts';
import { MAX_PLATE_LENGTH } from './plateText.ts';

export interface PlateCandidate extends Rect {
  /** Higher is more plate-like; only comparable within one frame. */
  readonly score: number;
}

export interface PlateLocatorOptions {
  /** Expected plate width as a fraction of the frame's width, (0..1]. */
  readonly plateWidthPercentage?: number;
  /** Candidates returned at most (default 3). */
  readonly maxCandidates?: number;
  /** Horizontal gradient that counts as an edge, 0-255 (default 40). */
  readonly edgeThreshold?: number;
}

/**
 * The KMD documents `setPlateWidthPercentage` without a default; a plate a third of the
 * way across is what a camera framing one car gives, and the accepted range (0.4x to
 * 2.5x of it) covers 12%-75% of the width.
 */
export const DEFAULT_PLATE_WIDTH_PERCENTAGE = 0.3;
const EU_ASPECT = 4.7;
const MIN_ASPECT = 2, MAX_ASPECT = 6;
/** Rendered plates score 0.1-0.3; car edges that pass the shape tests stay under 0.01. */
const MIN_SCORE = 0.02;

export class PlateLocator {
  #widthPercentage = DEFAULT_PLATE_WIDTH_PERCENTAGE;
  readonly #maxCandidates: number;
  readonly #edgeThreshold: number;

  constructor(opts: PlateLocatorOptions = {}) {
    if (opts.plateWidthPercentage !== undefined) this.setPlateWidthPercentage(opts.plateWidthPercentage);
    this.#maxCandidates = opts.maxCandidates ?? 3;
    this.#edgeThreshold = opts.edgeThreshold ?? 40;
  }

  get plateWidthPercentage(): number {
    return this.#widthPercentage;
  }

  /** Kurento's setter: the average plate width as a fraction of the picture, [0..1]; 0 is meaningless. */
  setPlateWidthPercentage(p: number): void {
    if (typeof p !== 'number' || !Number.isFinite(p) || p <= 0 || p > 1) {
      throw new RangeError(`plateWidthPercentage must be in (0, 1], got ${String(p)}`);
    }
    this.#widthPercentage = p;
  }

  /** Candidate plate rectangles in `img`, best first. */
  locate(img: GrayImage): PlateCandidate[] {
    const { width: w, height: h, data: g } = img;
    const expected = this.#widthPercentage * w;
    const minW = Math.max(24, expected * 0.4), maxW = Math.min(w, expected * 2.5);

    // 1. Vertical edges.
    const edges = new Uint8Array(w * h);
    const t = this.#edgeThreshold;
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let x = 1; x < w - 1; x++) {
        if (Math.abs(g[row + x + 1]! - g[row + x - 1]!) >= t) edges[row + x] = 1;
      }
    }

    // 2. Dense rows: a window of about two character pitches (a plate holds 7-9 characters).
    const half = Math.max(2, Math.round(expected / 12));
    const need = Math.max(3, Math.round((2 * half + 1) * 0.2));
    const dense = new Uint8Array(w * h);
    const prefix = new Int32Array(w + 1);
    for (let y = 0; y < h; y++) {
      const row = y * w;
      for (let x = 0; x < w; x++) prefix[x + 1] = prefix[x]! + edges[row + x]!;
      for (let x = 0; x < w; x++) {
        const a = Math.max(0, x - half), b = Math.min(w, x + half + 1);
        if (prefix[b]! - prefix[a]! >= need) dense[row + x] = 1;
      }
    }

    // 3. and 4. Each band, tightened to its edges, grown to its plate, scored.
    const found: PlateCandidate[] = [];
    for (const c of labelComponents(dense, w, h).components) {
      const bh = c.y1 - c.y0 + 1, bw = c.x1 - c.x0 + 1;
      if (bh < 4 || bw < minW * 0.4 || bh > maxW / MIN_ASPECT || bw > maxW * 1.2) continue;
      const text = tightenToEdges(edges, w, c.x0, c.y0, c.x1, c.y1);
      if (!text) continue;
      // Which side of the threshold the plate's background is cannot be told from the
      // band alone (bold characters are half of it; a band can include the plate's
      // border): grow both ways, and keep the box holding the most whole characters.
      // The band itself with a margin comes last: on a tie the grown plate wins.
      const boxes = [growToPlate(img, text, maxW, true), growToPlate(img, text, maxW, false), pad(text, 0.12, 0.3, w, h)];
      const best = bestBox(img, edges, boxes, expected, minW, maxW);
      if (best && best.score >= MIN_SCORE) found.push(best);
    }
    found.sort((a, b) => b.score - a.score);
    const out: PlateCandidate[] = [];
    for (const f of found) {
      if (out.length >= this.#maxCandidates) break;
      if (out.every((o) => iou(o, f) < 0.3)) out.push(f);
    }
    return out;
  }
}

function bestBox(img: GrayImage, edges: Uint8Array, boxes: readonly Rect[], expected: number, minW: number, maxW: number): PlateCandidate | undefined {
  let best: PlateCandidate | undefined, bestChars = -1;
  for (const box of boxes) {
    const aspect = box.width / box.height;
    if (aspect < MIN_ASPECT || aspect > MAX_ASPECT || box.width < minW || box.width > maxW) continue;
    // Characters cut by the box's edge do not count: a box tight on the text has none.
    const chars = Math.min(MAX_PLATE_LENGTH, segmentCharacters(img, box)?.characters.length ?? 0);
    if (chars <= bestChars) continue;
    const score = scoreBox(img, edges, box, expected) * (0.3 + 0.7 * Math.min(chars, 7) / 7);
    best = { ...box, score };
    bestChars = chars;
  }
  return best;
}

/** The smallest box holding the band's edge pixels (the density window widened it). */
function tightenToEdges(edges: Uint8Array, w: number, x0: number, y0: number, x1: number, y1: number): Rect | undefined {
  let lx = x1 + 1, hx = x0 - 1;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      if (edges[y * w + x]) {
        if (x < lx) lx = x;
        if (x > hx) hx = x;
      }
    }
  }
  if (hx < lx) return undefined;
  return { x: lx, y: y0, width: hx - lx + 1, height: y1 - y0 + 1 };
}

/**
 * Grows a text band over the plate's background: while the next row or column beyond
 * the box is mostly on the background's side of the band's Otsu threshold. The plate's
 * border, the EU strip or the car around it stop it.
 */
function growToPlate(img: GrayImage, text: Rect, maxW: number, brightBackground: boolean): Rect {
  const { width: w, height: h, data: g } = img;
  const hist = new Uint32Array(256);
  for (let y = text.y; y < text.y + text.height; y++) {
    for (let x = text.x; x < text.x + text.width; x++) hist[g[y * w + x]!]!++;
  }
  const t = otsuThreshold(hist);
  const isBackground = (v: number): boolean => (brightBackground ? v > t : v <= t);
  const rowFrac = (y: number, xa: number, xb: number): number => {
    let n = 0;
    for (let x = xa; x <= xb; x++) if (isBackground(g[y * w + x]!)) n++;
    return n / (xb - xa + 1);
  };
  const colFrac = (x: number, ya: number, yb: number): number => {
    let n = 0;
    for (let y = ya; y <= yb; y++) if (isBackground(g[y * w + x]!)) n++;
    return n / (yb - ya + 1);
  };
  let x0 = text.x, y0 = text.y, x1 = text.x + text.width - 1, y1 = text.y + text.height - 1;
  const maxH = maxW / MIN_ASPECT;
  for (let grew = true; grew;) {
    grew = false;
    if (y0 > 0 && y1 - y0 + 1 < maxH && rowFrac(y0 - 1, x0, x1) >= 0.75) { y0--; grew = true; }
    if (y1 < h - 1 && y1 - y0 + 1 < maxH && rowFrac(y1 + 1, x0, x1) >= 0.75) { y1++; grew = true; }
    if (x0 > 0 && x1 - x0 + 1 < maxW && colFrac(x0 - 1, y0, y1) >= 0.75) { x0--; grew = true; }
    if (x1 < w - 1 && x1 - x0 + 1 < maxW && colFrac(x1 + 1, y0, y1) >= 0.75) { x1++; grew = true; }
  }
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** The band with a margin, for plates whose background could not be followed. */
function pad(r: Rect, fx: number, fy: number, w: number, h: number): Rect {
  const x0 = Math.max(0, Math.round(r.x - r.width * fx)), y0 = Math.max(0, Math.round(r.y - r.height * fy));
  const x1 = Math.min(w, Math.round(r.x + r.width * (1 + fx))), y1 = Math.min(h, Math.round(r.y + r.height * (1 + fy)));
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** Edge density x contrast x closeness to 4.7:1 x closeness to the expected width. */
function scoreBox(img: GrayImage, edges: Uint8Array, r: Rect, expectedWidth: number): number {
  const { width: w, data: g } = img;
  const hist = new Uint32Array(256);
  let edgeCount = 0;
  for (let y = r.y; y < r.y + r.height; y++) {
    for (let x = r.x; x < r.x + r.width; x++) {
      hist[g[y * w + x]!]!++;
      edgeCount += edges[y * w + x]!;
    }
  }
  const area = r.width * r.height;
  const t = otsuThreshold(hist);
  let nDark = 0, sDark = 0, sAll = 0;
  for (let i = 0; i < 256; i++) {
    sAll += i * hist[i]!;
    if (i <= t) { nDark += hist[i]!; sDark += i * hist[i]!; }
  }
  if (nDark === 0 || nDark === area) return 0;
  const contrast = ((sAll - sDark) / (area - nDark) - sDark / nDark) / 255;
  if (contrast < 0.2) return 0;
  // Characters cover roughly 10-50% of a plate; far outside that it is some other texture.
  const ink = Math.min(nDark, area - nDark) / area;
  const inkScore = ink < 0.05 ? 0.2 : 1;
  const gauss = (v: number, sigma: number): number => Math.exp(-(v * v) / (2 * sigma * sigma));
  const aspectScore = gauss(Math.log(r.width / r.height / EU_ASPECT), 0.35);
  const sizeScore = gauss(Math.log(r.width / expectedWidth), 0.5);
  return (edgeCount / area) * contrast * inkScore * aspectScore * sizeScore;
}
