/**
 * A ROI polygon rasterised onto the processed picture, once per picture size. A pixel
 * belongs to the ROI when its centre lies inside the polygon (even-odd rule, so a
 * self-crossing outline behaves as the usual polygon fill does). The mask is kept as
 * horizontal runs: counting foreground pixels then walks only the ROI's own pixels.
 */
import type { RelativePoint } from './RoiConfig.ts';

export class RoiMask {
  /** Runs as triples (row, first x, last x + 1). */
  readonly runs: Int32Array;
  /** Pixels inside the ROI. */
  readonly area: number;

  constructor(points: readonly RelativePoint[], readonly width: number, readonly height: number) {
    const runs: number[] = [];
    let area = 0;
    const xs: number[] = [];
    for (let y = 0; y < height; y++) {
      const py = (y + 0.5) / height;
      xs.length = 0;
      for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
        const a = points[i]!;
        const b = points[j]!;
        // Half-open test on y: a vertex on the scan line is counted once, not twice.
        if ((a.y <= py) !== (b.y <= py)) xs.push(a.x + ((py - a.y) * (b.x - a.x)) / (b.y - a.y));
      }
      xs.sort((p, q) => p - q);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        // Pixels whose centre (x + 0.5) / width lies in [xs[k], xs[k + 1]).
        const x0 = Math.max(0, Math.ceil(xs[k]! * width - 0.5));
        const x1 = Math.min(width, Math.ceil(xs[k + 1]! * width - 0.5));
        if (x1 > x0) {
          runs.push(y, x0, x1);
          area += x1 - x0;
        }
      }
    }
    this.runs = Int32Array.from(runs);
    this.area = area;
  }

  /** Pixels of the ROI set in `mask` (a width x height map, non-zero = set). */
  count(mask: Uint8Array): number {
    const runs = this.runs;
    let n = 0;
    for (let r = 0; r < runs.length; r += 3) {
      const row = runs[r]! * this.width;
      for (let i = row + runs[r + 1]!, end = row + runs[r + 2]!; i < end; i++) if (mask[i]) n++;
    }
    return n;
  }

  /** For each cell of a grid of `cell` x `cell` pixels, the share of it inside the ROI. */
  cellShares(cell: number, gridWidth: number, gridHeight: number): Float32Array {
    const shares = new Float32Array(gridWidth * gridHeight);
    const runs = this.runs;
    for (let r = 0; r < runs.length; r += 3) {
      const gy = Math.floor(runs[r]! / cell);
      if (gy >= gridHeight) continue;
      for (let x = runs[r + 1]!; x < runs[r + 2]!; x++) {
        const gx = Math.floor(x / cell);
        if (gx < gridWidth) shares[gy * gridWidth + gx]! += 1;
      }
    }
    for (let i = 0; i < shares.length; i++) shares[i]! /= cell * cell;
    return shares;
  }
}
