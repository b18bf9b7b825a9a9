/**
 * Coarse optical flow by block matching: one motion vector per 16x16 cell of the
 * processed picture, found on a half-resolution copy (8x8 blocks, +-4 pixels there,
 * so +-8 at full resolution) with a sub-pixel parabola fit. Kurento's tutorial warns
 * that its optical flow "is very demanding in terms of resource usage (CPU, memory)";
 * here only cells that changed since the last frame and that some ROI wants are
 * matched, which keeps a 320x240 frame in about a millisecond.
 */

/** Side of a flow cell, in pixels of the processed picture. */
export const FLOW_CELL = 16;
const BLOCK = FLOW_CELL / 2;
const RADIUS = 4;
/** Half-resolution grey-level change that counts a pixel as moving (2x2 averaging halves the noise). */
const MOVING_DIFF = 12;
/** Moving pixels (of 64) that make a block worth matching. */
const MIN_MOVING = 4;
/**
 * Cost added per pixel of displacement (L1): on equal evidence the smaller motion wins,
 * so a block of flat colour, which matches anywhere, does not get a random vector.
 */
const PENALTY = 16;

/** Candidate displacements, nearest first, so that ties go to the smaller motion. */
const OFFSETS: readonly (readonly [number, number])[] = (() => {
  const list: [number, number][] = [];
  for (let dy = -RADIUS; dy <= RADIUS; dy++) for (let dx = -RADIUS; dx <= RADIUS; dx++) list.push([dx, dy]);
  return list.sort((a, b) => Math.hypot(a[0], a[1]) - Math.hypot(b[0], b[1]));
})();

export class BlockFlow {
  readonly gridWidth: number;
  readonly gridHeight: number;
  /** Motion of each cell since the previous frame, in processed pixels per frame (x right, y down). */
  readonly vx: Float32Array;
  readonly vy: Float32Array;
  /** 1 where the cell changed and was matched this frame. */
  readonly moving: Uint8Array;
  private readonly halfWidth: number;
  private readonly halfHeight: number;
  private current: Uint8Array;
  private previous: Uint8Array;
  private primed = false;

  constructor(readonly width: number, readonly height: number) {
    this.halfWidth = width >> 1;
    this.halfHeight = height >> 1;
    this.gridWidth = Math.floor(width / FLOW_CELL);
    this.gridHeight = Math.floor(height / FLOW_CELL);
    const cells = this.gridWidth * this.gridHeight;
    this.vx = new Float32Array(cells);
    this.vy = new Float32Array(cells);
    this.moving = new Uint8Array(cells);
    this.current = new Uint8Array(this.halfWidth * this.halfHeight);
    this.previous = new Uint8Array(this.halfWidth * this.halfHeight);
  }

  /** `gray`: a GRAY8 frame of this size; `wanted`: per cell, non-zero to compute its motion. */
  update(gray: Uint8Array, wanted: Uint8Array): void {
    [this.previous, this.current] = [this.current, this.previous];
    this.downsample(gray);
    this.vx.fill(0);
    this.vy.fill(0);
    this.moving.fill(0);
    if (!this.primed) {
      this.primed = true;
      return;
    }
    for (let gy = 0; gy < this.gridHeight; gy++) {
      for (let gx = 0; gx < this.gridWidth; gx++) {
        const cell = gy * this.gridWidth + gx;
        if (wanted[cell] && this.changed(gx * BLOCK, gy * BLOCK)) this.match(cell, gx * BLOCK, gy * BLOCK);
      }
    }
  }

  /** 2x2 box average: halves the search cost four times and the noise twice. */
  private downsample(gray: Uint8Array): void {
    const { width, halfWidth: hw, halfHeight: hh, current } = this;
    for (let y = 0; y < hh; y++) {
      const r0 = 2 * y * width;
      const r1 = r0 + width;
      for (let x = 0; x < hw; x++) {
        const i = 2 * x;
        current[y * hw + x] = (gray[r0 + i]! + gray[r0 + i + 1]! + gray[r1 + i]! + gray[r1 + i + 1]! + 2) >> 2;
      }
    }
  }

  private changed(bx: number, by: number): boolean {
    const { halfWidth: hw, current: c, previous: p } = this;
    let n = 0;
    for (let y = by; y < by + BLOCK; y++) {
      for (let i = y * hw + bx, end = i + BLOCK; i < end; i++) {
        const d = c[i]! - p[i]!;
        if (d > MOVING_DIFF || d < -MOVING_DIFF) n++;
      }
    }
    return n >= MIN_MOVING;
  }

  /** Best displacement of the block at (bx, by) of the current frame from the previous one. */
  private match(cell: number, bx: number, by: number): void {
    let bestCost = this.sad(bx, by, 0, 0, Infinity);
    let bdx = 0;
    let bdy = 0;
    for (const [dx, dy] of OFFSETS) {
      if ((dx === 0 && dy === 0) || !this.inside(bx, by, dx, dy)) continue;
      const penalty = PENALTY * (Math.abs(dx) + Math.abs(dy));
      const cost = this.sad(bx, by, dx, dy, bestCost - penalty) + penalty;
      if (cost < bestCost) {
        bestCost = cost;
        bdx = dx;
        bdy = dy;
      }
    }
    // The winner's sum ran to the end (it stayed under the limit): its plain SAD is exact.
    const s0 = bestCost - PENALTY * (Math.abs(bdx) + Math.abs(bdy));
    const fx = this.refine(s0, bx, by, bdx, bdy, 1, 0);
    const fy = this.refine(s0, bx, by, bdx, bdy, 0, 1);
    // Half-resolution pixels back to processed pixels.
    this.vx[cell] = 2 * (bdx + fx);
    this.vy[cell] = 2 * (bdy + fy);
    this.moving[cell] = 1;
  }

  /** Sub-pixel offset along (ux, uy) from a parabola through the costs either side. */
  private refine(s0: number, bx: number, by: number, dx: number, dy: number, ux: number, uy: number): number {
    if (!this.inside(bx, by, dx - ux, dy - uy) || !this.inside(bx, by, dx + ux, dy + uy)) return 0;
    const sm = this.sad(bx, by, dx - ux, dy - uy, Infinity);
    const sp = this.sad(bx, by, dx + ux, dy + uy, Infinity);
    const curvature = sm - 2 * s0 + sp;
    if (curvature <= 0) return 0;
    return Math.max(-0.5, Math.min(0.5, (sm - sp) / (2 * curvature)));
  }

  private inside(bx: number, by: number, dx: number, dy: number): boolean {
    const x = bx - dx;
    const y = by - dy;
    return x >= 0 && y >= 0 && x + BLOCK <= this.halfWidth && y + BLOCK <= this.halfHeight;
  }

  /**
   * Sum of absolute differences between the current block and the previous frame's block
   * it would have come from after moving by (dx, dy); stops once past `limit`.
   */
  private sad(bx: number, by: number, dx: number, dy: number, limit: number): number {
    const { halfWidth: hw, current: c, previous: p } = this;
    let s = 0;
    for (let y = 0; y < BLOCK; y++) {
      const ci = (by + y) * hw + bx;
      const pi = (by + y - dy) * hw + bx - dx;
      for (let x = 0; x < BLOCK; x++) {
        const d = c[ci + x]! - p[pi + x]!;
        s += d < 0 ? -d : d;
      }
      if (s >= limit) return s;
    }
    return s;
  }
}
