/**
 * The largest 8-connected blob of a binary mask. A pointer is one solid object: taking
 * the largest connected blob, not the centroid of every matching pixel, keeps scattered
 * background pixels of a similar colour from pulling the position away from it.
 */

export interface Blob {
  /** Pixels in the blob. */
  readonly area: number;
  /** Centroid, in pixel centres (x + 0.5, y + 0.5) of the mask's picture. */
  readonly cx: number;
  readonly cy: number;
}

export class BlobFinder {
  private stack = new Int32Array(0);

  /**
   * `mask`: 1 where a pixel matches, 0 elsewhere; it is consumed (visited pixels become 2)
   * so that no second visited-map is needed.
   */
  largest(mask: Uint8Array, width: number, height: number): Blob | null {
    if (this.stack.length < mask.length) this.stack = new Int32Array(mask.length);
    const stack = this.stack;
    let best: Blob | null = null;
    for (let start = 0; start < mask.length; start++) {
      if (mask[start] !== 1) continue;
      // Flood fill with an explicit stack: recursion would overflow on a large blob.
      let top = 0;
      stack[top++] = start;
      mask[start] = 2;
      let area = 0;
      let sx = 0;
      let sy = 0;
      while (top > 0) {
        const i = stack[--top]!;
        const x = i % width;
        const y = (i - x) / width;
        area++;
        sx += x;
        sy += y;
        for (let dy = -1; dy <= 1; dy++) {
          const ny = y + dy;
          if (ny < 0 || ny >= height) continue;
          for (let dx = -1; dx <= 1; dx++) {
            const nx = x + dx;
            if (nx < 0 || nx >= width) continue;
            const j = ny * width + nx;
            if (mask[j] === 1) {
              mask[j] = 2;
              stack[top++] = j;
            }
          }
        }
      }
      if (!best || area > best.area) best = { area, cx: sx / area + 0.5, cy: sy / area + 0.5 };
    }
    return best;
  }
}
