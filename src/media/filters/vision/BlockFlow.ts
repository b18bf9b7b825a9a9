/**
 * Coarse optical flow by block matching: one motion vector per 16x16 cell of the
 * processed picture. Kurento's tutorial warns that its optical flow "is very demanding
 * in terms of resource usage (CPU, memory)"; this one stays cheap:
 * - only cells that changed since the last frame, and that some ROI wants, are matched;
 * - a two-level pyramid: a +-2 pixel search on a quarter-resolution copy (4x4 blocks,
 *   reach +-8 processed pixels) then a +-1 refinement at half resolution (8x8 blocks)
 *   and a sub-pixel parabola fit: some 1,300 pixel differences per cell instead of the
 *   5,200 of a full +-4 search at half resolution.
 */

/** Side of a flow cell, in pixels of the processed picture. */
export const FLOW_CELL = 16;
/** Half-resolution grey-level change that counts a pixel as moving (2x2 averaging halves the noise). */
const MOVING_DIFF = 12;
/** Moving pixels of the 64 of a half-resolution block that make it worth matching. */
const MIN_MOVING = 4;
/**
 * Cost per half-resolution pixel of displacement (L1) for an 8x8 block, scaled to the
 * quarter level: on equal evidence the smaller motion wins, so a flat-coloured block,
 * which matches anywhere, gets no random vector.
 */
const PENALTY_HALF = 16;
const PENALTY_QUARTER = 8;

/**
 * Candidate displacements within `radius`, nearest first so that ties go to the smaller
 * motion, flat (dx, dy, dx, dy, ...): the search loop then reads no tuple objects.
 */
function offsets(radius: number): Int8Array {
  const list: [number, number][] = [];
  for (let dy = -radius; dy <= radius; dy++) for (let dx = -radius; dx <= radius; dx++) list.push([dx, dy]);
  list.sort((a, b) => Math.hypot(a[0], a[1]) - Math.hypot(b[0], b[1]));
  return Int8Array.from(list.flat());
}
const COARSE = offsets(2);
const FINE = offsets(1);

/** One pyramid level: two consecutive frames at one resolution. */
class Level {
  current: Uint8Array;
  previous: Uint8Array;

  constructor(readonly width: number, readonly height: number, readonly block: number) {
    this.current = new Uint8Array(width * height);
    this.previous = new Uint8Array(width * height);
  }

  /** Makes the current picture the previous one and fills the current one with a 2x2 average of `src`. */
  shrink(src: Uint8Array, srcWidth: number): void {
    [this.previous, this.current] = [this.current, this.previous];
    const { width, height, current } = this;
    for (let y = 0; y < height; y++) {
      const r0 = 2 * y * srcWidth;
      const r1 = r0 + srcWidth;
      for (let x = 0, i = 0; x < width; x++, i += 2) {
        current[y * width + x] = (src[r0 + i]! + src[r0 + i + 1]! + src[r1 + i]! + src[r1 + i + 1]! + 2) >> 2;
      }
    }
  }

  inside(bx: number, by: number, dx: number, dy: number): boolean {
    const x = bx - dx;
    const y = by - dy;
    return x >= 0 && y >= 0 && x + this.block <= this.width && y + this.block <= this.height;
  }

  /**
   * Sum of absolute differences between the current block at (bx, by) and the previous
   * picture's block it would have come from by moving (dx, dy); stops once past `limit`.
   */
  sad(bx: number, by: number, dx: number, dy: number, limit: number): number {
    const { width, block, current: c, previous: p } = this;
    let s = 0;
    for (let y = 0; y < block; y++) {
      const ci = (by + y) * width + bx;
      const pi = ci - dy * width - dx;
      for (let x = 0; x < block; x++) {
        const d = c[ci + x]! - p[pi + x]!;
        s += d < 0 ? -d : d;
      }
      if (s >= limit) return s;
    }
    return s;
  }

  /** Result of the last search: best displacement and its plain SAD (no allocation per cell). */
  dx = 0;
  dy = 0;
  best = 0;

  /** Best displacement around (cx, cy) among `candidates`, each pixel of it costing `penalty`. */
  search(bx: number, by: number, cx: number, cy: number, candidates: Int8Array, penalty: number): void {
    let bestCost = Infinity;
    this.dx = cx;
    this.dy = cy;
    this.best = Infinity;
    for (let k = 0; k < candidates.length; k += 2) {
      const dx = cx + candidates[k]!;
      const dy = cy + candidates[k + 1]!;
      if (!this.inside(bx, by, dx, dy)) continue;
      const extra = penalty * ((dx < 0 ? -dx : dx) + (dy < 0 ? -dy : dy));
      const s = this.sad(bx, by, dx, dy, bestCost - extra);
      // A winner's sum ran to its end (it stayed under the limit), so its SAD is exact.
      if (s + extra < bestCost) {
        bestCost = s + extra;
        this.dx = dx;
        this.dy = dy;
        this.best = s;
      }
    }
  }

  /** Sub-pixel offset along (ux, uy) from a parabola through the costs either side of the minimum. */
  subpixel(bx: number, by: number, dx: number, dy: number, s0: number, ux: number, uy: number): number {
    if (!this.inside(bx, by, dx - ux, dy - uy) || !this.inside(bx, by, dx + ux, dy + uy)) return 0;
    const sm = this.sad(bx, by, dx - ux, dy - uy, Infinity);
    const sp = this.sad(bx, by, dx + ux, dy + uy, Infinity);
    const curvature = sm - 2 * s0 + sp;
    if (curvature <= 0) return 0;
    return Math.max(-0.5, Math.min(0.5, (sm - sp) / (2 * curvature)));
  }

  /** Whether the block at (bx, by) changed in at least MIN_MOVING pixels. */
  changed(bx: number, by: number): boolean {
    const { width, block, current: c, previous: p } = this;
    let n = 0;
    for (let y = by; y < by + block; y++) {
      for (let i = y * width + bx, end = i + block; i < end; i++) {
        const d = c[i]! - p[i]!;
        if (d > MOVING_DIFF || d < -MOVING_DIFF) n++;
      }
    }
    return n >= MIN_MOVING;
  }
}

export class BlockFlow {
  readonly gridWidth: number;
  readonly gridHeight: number;
  /** Motion of each cell since the previous frame, in processed pixels per frame (x right, y down). */
  readonly vx: Float32Array;
  readonly vy: Float32Array;
  /** 1 where the cell changed and was matched this frame. */
  readonly moving: Uint8Array;
  private readonly half: Level;
  private readonly quarter: Level;
  private primed = false;

  constructor(readonly width: number, readonly height: number) {
    this.gridWidth = Math.floor(width / FLOW_CELL);
    this.gridHeight = Math.floor(height / FLOW_CELL);
    const cells = this.gridWidth * this.gridHeight;
    this.vx = new Float32Array(cells);
    this.vy = new Float32Array(cells);
    this.moving = new Uint8Array(cells);
    this.half = new Level(width >> 1, height >> 1, FLOW_CELL / 2);
    this.quarter = new Level(width >> 2, height >> 2, FLOW_CELL / 4);
  }

  /** `gray`: a GRAY8 frame of this size; `wanted`: per cell, non-zero to compute its motion. */
  update(gray: Uint8Array, wanted: Uint8Array): void {
    this.half.shrink(gray, this.width);
    this.quarter.shrink(this.half.current, this.half.width);
    this.vx.fill(0);
    this.vy.fill(0);
    this.moving.fill(0);
    if (!this.primed) {
      this.primed = true;
      return;
    }
    const { half, quarter } = this;
    for (let gy = 0; gy < this.gridHeight; gy++) {
      for (let gx = 0; gx < this.gridWidth; gx++) {
        const cell = gy * this.gridWidth + gx;
        const hx = gx * half.block;
        const hy = gy * half.block;
        if (!wanted[cell] || !half.changed(hx, hy)) continue;
        quarter.search(gx * quarter.block, gy * quarter.block, 0, 0, COARSE, PENALTY_QUARTER);
        half.search(hx, hy, 2 * quarter.dx, 2 * quarter.dy, FINE, PENALTY_HALF);
        const fx = half.subpixel(hx, hy, half.dx, half.dy, half.best, 1, 0);
        const fy = half.subpixel(hx, hy, half.dx, half.dy, half.best, 0, 1);
        // Half-resolution pixels back to processed pixels.
        this.vx[cell] = 2 * (half.dx + fx);
        this.vy[cell] = 2 * (half.dy + fy);
        this.moving[cell] = 1;
      }
    }
  }
}
