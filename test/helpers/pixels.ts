/**
 * Pure pixel arithmetic for the filter tests: what a user would see, measured on decoded
 * RGB frames (test/helpers/frameGrab.ts). No I/O here, so test/unit/pixels.test.ts can
 * check it on made-up frames.
 */

/** A decoded picture: `rgb` holds width*height pixels, 3 bytes each, rows top down. */
export interface Frame { width: number; height: number; rgb: Buffer }

/** A rectangle in pixels, left/top inclusive. */
export interface Rect { x: number; y: number; width: number; height: number }

export type Rgb = [number, number, number];

/** The whole frame as a rectangle. */
export const wholeFrame = (f: Frame): Rect => ({ x: 0, y: 0, width: f.width, height: f.height });

/** `r` cut to the frame, so a box found near an edge can be measured as it is. */
export function clip(f: Frame, r: Rect): Rect {
  const x = Math.max(0, Math.round(r.x));
  const y = Math.max(0, Math.round(r.y));
  const right = Math.min(f.width, Math.round(r.x + r.width));
  const bottom = Math.min(f.height, Math.round(r.y + r.height));
  if (right <= x || bottom <= y) throw new Error(`rectangle ${JSON.stringify(r)} is outside the ${f.width}x${f.height} frame`);
  return { x, y, width: right - x, height: bottom - y };
}

/** Calls `fn` with the byte offset of every pixel of `r` (clipped to the frame). */
function eachPixel(f: Frame, r: Rect, fn: (i: number) => void): number {
  const c = clip(f, r);
  for (let y = c.y; y < c.y + c.height; y++) {
    for (let x = c.x; x < c.x + c.width; x++) fn((y * f.width + x) * 3);
  }
  return c.width * c.height;
}

/** The mean colour of a rectangle (the whole frame by default). */
export function meanColour(f: Frame, r: Rect = wholeFrame(f)): Rgb {
  const sum: Rgb = [0, 0, 0];
  const n = eachPixel(f, r, (i) => {
    sum[0] += f.rgb[i]!; sum[1] += f.rgb[i + 1]!; sum[2] += f.rgb[i + 2]!;
  });
  return [sum[0] / n, sum[1] / n, sum[2] / n];
}

/** The largest per-channel difference of two colours. */
export const colourDistance = (a: Rgb, b: Rgb): number => Math.max(Math.abs(a[0] - b[0]), Math.abs(a[1] - b[1]), Math.abs(a[2] - b[2]));

/** An inclusive range per channel: `{ min: [200, 0, 0], max: [255, 80, 80] }` is red. */
export interface ColourRange { min: Rgb; max: Rgb }

/** A range of `tolerance` either side of a colour, for a codec's small errors. */
export const near = (c: Rgb, tolerance: number): ColourRange => ({
  min: [c[0] - tolerance, c[1] - tolerance, c[2] - tolerance],
  max: [c[0] + tolerance, c[1] + tolerance, c[2] + tolerance],
});

/** The share (0..1) of the rectangle's pixels whose colour lies in `range`. */
export function fractionMatching(f: Frame, range: ColourRange, r: Rect = wholeFrame(f)): number {
  let hits = 0;
  const n = eachPixel(f, r, (i) => {
    for (let ch = 0; ch < 3; ch++) {
      const v = f.rgb[i + ch]!;
      if (v < range.min[ch]! || v > range.max[ch]!) return;
    }
    hits++;
  });
  return hits / n;
}

/** The frame flipped left to right (what a mirroring filter makes). */
export function flipHorizontal(f: Frame): Frame {
  const out = Buffer.alloc(f.rgb.length);
  for (let y = 0; y < f.height; y++) {
    for (let x = 0; x < f.width; x++) f.rgb.copy(out, (y * f.width + f.width - 1 - x) * 3, (y * f.width + x) * 3, (y * f.width + x) * 3 + 3);
  }
  return { width: f.width, height: f.height, rgb: out };
}

/**
 * Luma on a coarse grid (`step` pixels apart), the sample both correlations use: enough
 * to tell pictures apart, and blind to a codec's fine noise.
 */
function lumaGrid(f: Frame, step: number, mirror: boolean): number[] {
  const out: number[] = [];
  for (let y = step >> 1; y < f.height; y += step) {
    for (let x = step >> 1; x < f.width; x += step) {
      const i = (y * f.width + (mirror ? f.width - 1 - x : x)) * 3;
      out.push(0.299 * f.rgb[i]! + 0.587 * f.rgb[i + 1]! + 0.114 * f.rgb[i + 2]!);
    }
  }
  return out;
}

/** Pearson's correlation of two equal-length samples; 0 when either is flat. */
export function correlation(a: number[], b: number[]): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]!; mb += b[i]!; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma, db = b[i]! - mb;
    sab += da * db; saa += da * da; sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? 0 : sab / Math.sqrt(saa * sbb);
}

/**
 * How `b` compares with `a` as it is and with `a` flipped left to right (correlations of
 * their luma, -1..1). Both frames must have the same size.
 */
export function mirrorCorrelations(a: Frame, b: Frame, step = 4): { straight: number; mirrored: number } {
  if (a.width !== b.width || a.height !== b.height) throw new Error(`frames differ in size: ${a.width}x${a.height} and ${b.width}x${b.height}`);
  const lb = lumaGrid(b, step, false);
  return { straight: correlation(lumaGrid(a, step, false), lb), mirrored: correlation(lumaGrid(a, step, true), lb) };
}

/**
 * Whether `b` is `a` flipped horizontally: it matches the flipped `a` well, and clearly
 * better than `a` itself (a left-right symmetric picture proves nothing either way).
 */
export function isMirrored(a: Frame, b: Frame, minCorrelation = 0.8): boolean {
  const { straight, mirrored } = mirrorCorrelations(a, b);
  return mirrored >= minCorrelation && mirrored - straight >= 0.1;
}
