/**
 * A plate region cut out and cleaned for OCR: black characters on white, nothing else.
 *
 * tesseract reads a single line best when the characters are about 30-45 px tall and
 * nothing but characters is dark: measured here on a rendered 8886AJR, plain crops with
 * the plate's border or the EU strip read as `SSS6AJR`, the same crop binarised at 1.5-2x
 * read right, at 2.5-3x wrong again. So: Otsu's threshold on the region, only blobs
 * shaped like characters kept (not touching the edge, about one common height), then an
 * upscale to a fixed character height, thresholded after bilinear interpolation so the
 * strokes stay smooth instead of blocky.
 */
import { labelComponents, type Component } from './components.ts';
import type { GrayImage, Rect } from './GrayImage.ts';

export interface OcrCrop {
  /** Black (0) on white (255), padded; empty (0x0) when no character was found. */
  readonly image: GrayImage;
  /** Character-like blobs kept. */
  readonly characters: number;
  /** Their median height in the source frame, pixels. */
  readonly charHeight: number;
}

export interface OcrCropOptions {
  /** Character height in the output, pixels (default 36). */
  readonly charHeight?: number;
  /** White margin around the characters in the output, pixels (default 16). */
  readonly padding?: number;
}

const EMPTY: GrayImage = { width: 0, height: 0, data: new Uint8Array(0) };

/** Otsu's threshold of a histogram of 256 bins: the level that best splits it in two. */
export function otsuThreshold(hist: ArrayLike<number>): number {
  let total = 0, sum = 0;
  for (let i = 0; i < 256; i++) { total += hist[i]!; sum += i * hist[i]!; }
  let wB = 0, sumB = 0, first = 0, last = 0, bestVar = -1;
  for (let t = 0; t < 256; t++) {
    wB += hist[t]!;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * hist[t]!;
    const d = sumB / wB - (sum - sumB) / wF;
    const between = wB * wF * d * d;
    if (between > bestVar * (1 + 1e-9)) { bestVar = between; first = last = t; }
    else if (between >= bestVar * (1 - 1e-9)) last = t;
  }
  // A clean picture (black on white, nothing between) has every level of the gap as
  // the best: the middle of it, not its dark end, or mid-grey would count as white.
  return (first + last) >> 1;
}

export function cropForOcr(img: GrayImage, rect: Rect, opts: OcrCropOptions = {}): OcrCrop {
  const x0 = Math.max(0, Math.floor(rect.x)), y0 = Math.max(0, Math.floor(rect.y));
  const cw = Math.min(img.width, Math.ceil(rect.x + rect.width)) - x0;
  const ch = Math.min(img.height, Math.ceil(rect.y + rect.height)) - y0;
  if (cw < 8 || ch < 6) return { image: EMPTY, characters: 0, charHeight: 0 };

  const crop = new Uint8Array(cw * ch);
  const hist = new Uint32Array(256);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      const v = img.data[(y0 + y) * img.width + x0 + x]!;
      crop[y * cw + x] = v;
      hist[v]!++;
    }
  }
  const t = otsuThreshold(hist);
  let darkCount = 0;
  for (let i = 0; i <= t; i++) darkCount += hist[i]!;
  // Characters are the minority: a mostly dark region is light text on a dark plate.
  const inverted = darkCount > crop.length * 0.6;
  const isInk = (v: number): boolean => (inverted ? v > t : v <= t);
  const mask = new Uint8Array(crop.length);
  for (let i = 0; i < crop.length; i++) mask[i] = isInk(crop[i]!) ? 1 : 0;

  const { components, labels } = labelComponents(mask, cw, ch);
  const chars = characterBlobs(components, cw, ch);
  if (chars.length === 0) return { image: EMPTY, characters: 0, charHeight: 0 };
  const heights = chars.map((c) => c.y1 - c.y0 + 1).sort((a, b) => a - b);
  const median = heights[heights.length >> 1]!;
  const keep = new Uint8Array(components.length + 1);
  for (const c of chars) keep[c.label] = 1;

  // The characters' box in the crop, and the output around it.
  const bx0 = Math.min(...chars.map((c) => c.x0)), bx1 = Math.max(...chars.map((c) => c.x1));
  const by0 = Math.min(...chars.map((c) => c.y0)), by1 = Math.max(...chars.map((c) => c.y1));
  const scale = Math.min(8, Math.max(1, (opts.charHeight ?? 36) / median));
  const pad = opts.padding ?? 16;
  const iw = Math.round((bx1 - bx0 + 1) * scale), ih = Math.round((by1 - by0 + 1) * scale);
  const ow = iw + 2 * pad, oh = ih + 2 * pad;
  const out = new Uint8Array(ow * oh).fill(255);
  for (let oy = 0; oy < ih; oy++) {
    const sy = Math.min(ch - 1, Math.max(0, by0 + (oy + 0.5) / scale - 0.5));
    const yA = Math.floor(sy), yB = Math.min(ch - 1, yA + 1), fy = sy - yA;
    for (let ox = 0; ox < iw; ox++) {
      const sx = Math.min(cw - 1, Math.max(0, bx0 + (ox + 0.5) / scale - 0.5));
      const xA = Math.floor(sx), xB = Math.min(cw - 1, xA + 1), fx = sx - xA;
      const a = yA * cw + xA, b = yA * cw + xB, c = yB * cw + xA, d = yB * cw + xB;
      // Only ink next to a kept blob: borders, strip and specks stay white.
      if (!keep[labels[a]!] && !keep[labels[b]!] && !keep[labels[c]!] && !keep[labels[d]!]) continue;
      const v = (crop[a]! * (1 - fx) + crop[b]! * fx) * (1 - fy) + (crop[c]! * (1 - fx) + crop[d]! * fx) * fy;
      if (isInk(v)) out[(oy + pad) * ow + ox + pad] = 0;
    }
  }
  return { image: { width: ow, height: oh, data: out }, characters: chars.length, charHeight: median };
}

/** Blobs shaped like plate characters: inside the region, tall, narrow, about one height. */
function characterBlobs(components: readonly Component[], cw: number, ch: number): Component[] {
  const tall = components.filter((c) => {
    const w = c.x1 - c.x0 + 1, h = c.y1 - c.y0 + 1;
    const inside = c.x0 > 0 && c.y0 > 0 && c.x1 < cw - 1 && c.y1 < ch - 1;
    return inside && h >= 5 && h >= ch * 0.3 && h <= ch * 0.95 && w <= h * 1.5 && w <= cw * 0.3;
  });
  if (tall.length === 0) return [];
  const hs = tall.map((c) => c.y1 - c.y0 + 1).sort((a, b) => a - b);
  const median = hs[hs.length >> 1]!;
  // The EU strip's country letter and screw heads are much smaller than the characters.
  return tall.filter((c) => {
    const h = c.y1 - c.y0 + 1;
    return h >= median * 0.75 && h <= median * 1.45;
  });
}
