/**
 * A plate region cut out and cleaned for OCR: black characters on white, nothing else.
 *
 * tesseract reads a single line best when the characters are about 30 px tall and
 * nothing but characters is dark: measured here on a rendered 8886AJR, a plain crop with
 * the plate's border and the EU strip read as `SSS6AJR`, the same crop binarised at 1.5-2x
 * read right, at 2.5-3x wrong again. So: Otsu's threshold on the region, only blobs
 * shaped like characters kept (not touching the edge, about one common height), then an
 * upscale to a fixed character height, thresholded after bilinear interpolation so the
 * strokes stay smooth instead of blocky (bench/plates.ts measures the choice).
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
  /** Character height in the output, pixels (default 28). */
  readonly charHeight?: number;
  /** White margin around the characters in the output, pixels (default 16). */
  readonly padding?: number;
  /** Where between the ink's (0) and the background's (1) mean levels the output is cut (default 0.3). */
  readonly inkLevel?: number;
}

/**
 * Measured with bench/plates.ts (28 scenes, 7 plates, 640x480 and 320x240, characters
 * 9-30 px): 28 px cut at 0.3 read 28 of 28; Otsu's level (0.5) read 25 at 36 px and at 20 px.
 */
const DEFAULT_CHAR_HEIGHT = 28;
const DEFAULT_INK_LEVEL = 0.3;
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

/** A region split into ink and background, with its character-shaped blobs. */
export interface Segmentation {
  /** The region's pixels, `width` x `height`. */
  readonly crop: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Light characters on a dark plate. */
  readonly inverted: boolean;
  readonly meanInk: number;
  readonly meanBackground: number;
  /** Blob label per pixel, as from labelComponents. */
  readonly labels: Int32Array;
  readonly characters: readonly Component[];
  /** The characters' median height, pixels. */
  readonly charHeight: number;
}

/** Otsu's split of `rect` in `img` and the blobs in it that look like plate characters. */
export function segmentCharacters(img: GrayImage, rect: Rect): Segmentation | undefined {
  const x0 = Math.max(0, Math.floor(rect.x)), y0 = Math.max(0, Math.floor(rect.y));
  const cw = Math.min(img.width, Math.ceil(rect.x + rect.width)) - x0;
  const ch = Math.min(img.height, Math.ceil(rect.y + rect.height)) - y0;
  if (cw < 8 || ch < 6) return undefined;
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
  let nDark = 0, sDark = 0, sLight = 0;
  for (let i = 0; i < 256; i++) {
    if (i <= t) { nDark += hist[i]!; sDark += i * hist[i]!; } else sLight += i * hist[i]!;
  }
  const meanDark = sDark / Math.max(1, nDark), meanLight = sLight / Math.max(1, crop.length - nDark);
  // Characters are the minority: a mostly dark region is light text on a dark plate.
  const inverted = nDark > crop.length * 0.6;
  const mask = new Uint8Array(crop.length);
  for (let i = 0; i < crop.length; i++) mask[i] = (crop[i]! <= t) !== inverted ? 1 : 0;
  const { components, labels } = labelComponents(mask, cw, ch);
  const characters = characterBlobs(components, cw, ch);
  const heights = characters.map((c) => c.y1 - c.y0 + 1).sort((a, b) => a - b);
  return {
    crop, width: cw, height: ch, inverted, labels, characters,
    meanInk: inverted ? meanLight : meanDark,
    meanBackground: inverted ? meanDark : meanLight,
    charHeight: heights.length ? heights[heights.length >> 1]! : 0,
  };
}

export function cropForOcr(img: GrayImage, rect: Rect, opts: OcrCropOptions = {}): OcrCrop {
  const seg = segmentCharacters(img, rect);
  if (!seg || seg.characters.length === 0) return { image: EMPTY, characters: 0, charHeight: 0 };
  const { crop, width: cw, height: ch, labels, characters: chars, charHeight } = seg;
  const keep = new Uint8Array(labels.reduce((m, l) => Math.max(m, l), 0) + 1);
  for (const c of chars) keep[c.label] = 1;
  // The upscaled picture is cut nearer the ink's own level than Otsu's: small bold
  // characters blur into their holes (an 8 becomes a blob OCR reads as S or B).
  const cut = seg.meanInk + (seg.meanBackground - seg.meanInk) * (opts.inkLevel ?? DEFAULT_INK_LEVEL);
  const isInk = (v: number): boolean => (seg.inverted ? v >= cut : v <= cut);

  // The characters' box in the crop, and the output around it.
  const bx0 = Math.min(...chars.map((c) => c.x0)), bx1 = Math.max(...chars.map((c) => c.x1));
  const by0 = Math.min(...chars.map((c) => c.y0)), by1 = Math.max(...chars.map((c) => c.y1));
  const scale = Math.min(8, Math.max(1, (opts.charHeight ?? DEFAULT_CHAR_HEIGHT) / charHeight));
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
  return { image: { width: ow, height: oh, data: out }, characters: chars.length, charHeight };
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
