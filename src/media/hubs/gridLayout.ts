/** One input's place in the composite picture (pixels). */
export interface Cell {
  readonly xpos: number;
  readonly ypos: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Kurento's Composite grid for `n` inputs in a `width` x `height` picture: as many
 * columns as the square root of n rounded up, as many rows as needed (1 input: the
 * whole picture; 2: side by side; 3-4: 2x2; 5-6: 3x2; 7-9: 3x3; ...), in the inputs'
 * order, left to right and top to bottom. Each input keeps its aspect ratio inside its
 * cell (compositor `sizing-policy=keep-aspect-ratio` letterboxes it).
 */
export function gridLayout(n: number, width: number, height: number): Cell[] {
  if (n <= 0) return [];
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  // Even sizes: I420 chroma is subsampled by two.
  const w = Math.floor(width / cols / 2) * 2;
  const h = Math.floor(height / rows / 2) * 2;
  return Array.from({ length: n }, (_, i) => ({ xpos: (i % cols) * w, ypos: Math.floor(i / cols) * h, width: w, height: h }));
}
