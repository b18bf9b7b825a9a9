/**
 * Connected components of a binary mask (8-connected), with their bounding boxes.
 *
 * Both the locator (blobs of dense vertical edges) and the OCR crop (one blob per
 * character) need them. An explicit stack instead of recursion: a plate-sized blob
 * would otherwise overflow the call stack.
 */

export interface Component {
  /** 1-based label written into `labels`. */
  readonly label: number;
  readonly x0: number;
  readonly y0: number;
  /** Inclusive. */
  readonly x1: number;
  readonly y1: number;
  readonly area: number;
}

export interface Labelling {
  readonly components: readonly Component[];
  /** One label per pixel, 0 for background. */
  readonly labels: Int32Array;
}

/** `mask[i] !== 0` marks a foreground pixel of a `width` x `height` picture. */
export function labelComponents(mask: Uint8Array, width: number, height: number): Labelling {
  const labels = new Int32Array(width * height);
  const components: Component[] = [];
  const stack = new Int32Array(width * height);
  for (let start = 0; start < mask.length; start++) {
    if (mask[start] === 0 || labels[start] !== 0) continue;
    const label = components.length + 1;
    let top = 0;
    stack[top++] = start;
    labels[start] = label;
    let x0 = width, y0 = height, x1 = -1, y1 = -1, area = 0;
    while (top > 0) {
      const p = stack[--top]!;
      const x = p % width, y = (p - x) / width;
      area++;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (mask[q] !== 0 && labels[q] === 0) {
            labels[q] = label;
            stack[top++] = q;
          }
        }
      }
    }
    components.push({ label, x0, y0, x1, y1, area });
  }
  return { components, labels };
}
