/**
 * The analysis core of Kurento's CrowdDetectorFilter (KMD crowddetector): per region of
 * interest, how much of it is occupied, how fluidly that content moves, and where to.
 * No GStreamer here: the filter node feeds GRAY8 frames scaled to `processingWidth`
 * from a FrameTap and turns the events into Kurento events and `crowdCells` into the
 * red / blue paint.
 *
 * Meanings (Kurento docs, Crowd Detector tutorial): "Occupancy can be seen as the level
 * of agglomeration in stream", "Fluidity can be seen as the level of general movement in
 * a crowd", both "quantified in a relative metric from 0 to 100%". Here:
 * - occupancy = share of the ROI's pixels that are foreground (MotionModel);
 * - fluidity = mean speed of the occupied flow cells of the ROI (still ones count 0),
 *   as a share of FULL_SPEED; an empty ROI has fluidity 0 (no crowd moves);
 * - direction = bearing of the mean motion of the ROI's moving cells (DirectionTracker).
 */
import { BlockFlow, FLOW_CELL } from './BlockFlow.ts';
import { DirectionTracker } from './DirectionTracker.ts';
import { checkFrame, type VideoFrame } from './frame.ts';
import { LevelTracker } from './LevelTracker.ts';
import { MotionModel } from './MotionModel.ts';
import { numberField } from './params.ts';
import { parseRois, type Roi } from './RoiConfig.ts';
import { RoiMask } from './RoiMask.ts';

/** KMD crowddetector `processingWidth` default. */
export const DEFAULT_PROCESSING_WIDTH = 320;
/** Speed, in pixels per frame of a 320-wide picture, that counts as 100% fluidity (the flow's reach). */
const FULL_SPEED = 8;
/** Share of a cell's pixels in the foreground that makes it part of the crowd. */
const OCCUPIED_CELL = 0.25;
/** Slowest motion (pixels per frame at 320 wide) that has a direction rather than jitter. */
const MIN_DIRECTION_SPEED = 1;
/** Length of the mean motion vector over the mean speed: below it the cells disagree. */
const MIN_COHERENCE = 0.5;

/**
 * The KMD crowddetector events, named as its JSON says (`roiId`). Kurento's JavaScript
 * tutorial reads `data.roiID` and the Java one `getRoiID()`: the node that sends these
 * on the wire must decide whether to carry both spellings.
 */
export type CrowdEvent =
  | { readonly type: 'CrowdDetectorOccupancy'; readonly roiId: string; readonly occupancyPercentage: number; readonly occupancyLevel: number }
  | { readonly type: 'CrowdDetectorFluidity'; readonly roiId: string; readonly fluidityPercentage: number; readonly fluidityLevel: number }
  | { readonly type: 'CrowdDetectorDirection'; readonly roiId: string; readonly directionAngle: number };

/** What one frame measured in one ROI, reported levels included (what tests and logs read; the paint uses crowdCells). */
export interface RoiFrameStats {
  readonly roiId: string;
  readonly occupancyPercentage: number;
  readonly occupancyLevel: number;
  readonly fluidityPercentage: number;
  readonly fluidityLevel: number;
  /** Bearing of consistent motion this frame (0 north, clockwise, no offset), or null. */
  readonly bearing: number | null;
}

/**
 * A flow cell where the crowd is, in fractions of the picture, for the paint: `fast`
 * when it moves at its ROI's medium fluidity or more (Kurento paints those blue, the
 * static or slow ones red).
 */
export interface CrowdCell {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly fast: boolean;
}

export interface CrowdFrameResult {
  readonly events: CrowdEvent[];
  readonly rois: RoiFrameStats[];
}

interface RoiTrackers {
  readonly roi: Roi;
  readonly occupancy: LevelTracker;
  readonly fluidity: LevelTracker;
  readonly direction: DirectionTracker | null;
}

/** A ROI laid onto pictures of one size. */
interface RoiGeometry {
  readonly mask: RoiMask;
  /** Flow cells that belong to the ROI. */
  readonly cells: Int32Array;
}

export class CrowdAnalyzer {
  readonly rois: readonly Roi[];
  private readonly trackers: RoiTrackers[];
  private width = 0;
  private height = 0;
  private geometry: RoiGeometry[] = [];
  private motion: MotionModel | null = null;
  private flow: BlockFlow | null = null;
  private wanted = new Uint8Array(0);
  private cellForeground = new Float32Array(0);
  /** Per cell, the speed (% of FULL_SPEED) from which it counts as fast: its first ROI's fluidityLevelMed. */
  private cellFastAt = new Float32Array(0);
  private procWidth = DEFAULT_PROCESSING_WIDTH;

  /** Throws KurentoError on malformed ROIs, as the filter's constructor must. */
  constructor(rois: unknown, options: { readonly processingWidth?: number } = {}) {
    this.rois = parseRois(rois);
    this.trackers = this.rois.map((roi) => {
      const c = roi.config;
      return {
        roi,
        occupancy: new LevelTracker({ min: c.occupancyLevelMin, med: c.occupancyLevelMed, max: c.occupancyLevelMax, framesToEvent: c.occupancyNumFramesToEvent }),
        fluidity: new LevelTracker({ min: c.fluidityLevelMin, med: c.fluidityLevelMed, max: c.fluidityLevelMax, framesToEvent: c.fluidityNumFramesToEvent }),
        direction: c.sendOpticalFlowEvent
          ? new DirectionTracker(c.opticalFlowNumFramesToEvent, c.opticalFlowNumFramesToReset, c.opticalFlowAngleOffset)
          : null,
      };
    });
    if (options.processingWidth !== undefined) this.processingWidth = options.processingWidth;
  }

  /** KMD `processingWidth`: the width the node scales frames to. Frames of any size are analysed. */
  get processingWidth(): number {
    return this.procWidth;
  }

  set processingWidth(value: unknown) {
    // Two flow cells at least; wider than 4K would only burn CPU.
    this.procWidth = numberField({ processingWidth: value }, 'processingWidth', 'CrowdDetectorFilter', { integer: true, min: 2 * FLOW_CELL, max: 4096 });
  }

  /** The motion of the last frame per FLOW_CELL cell. */
  get flowField(): BlockFlow | null {
    return this.flow;
  }

  process(frame: VideoFrame): CrowdFrameResult {
    checkFrame(frame, 1);
    if (frame.width !== this.width || frame.height !== this.height) this.resize(frame.width, frame.height);
    const motion = this.motion!;
    const flow = this.flow!;
    motion.update(frame.data);
    flow.update(frame.data, this.wanted);
    this.measureCells(motion.foreground);
    const speedScale = DEFAULT_PROCESSING_WIDTH / frame.width;
    const events: CrowdEvent[] = [];
    const rois = this.trackers.map((t, i): RoiFrameStats => {
      const g = this.geometry[i]!;
      const roiId = t.roi.id;
      const occupancyPercentage = g.mask.area ? (100 * g.mask.count(motion.foreground)) / g.mask.area : 0;
      const fluidityPercentage = this.fluidity(g.cells, speedScale);
      const bearing = this.bearing(g.cells, speedScale);
      const o = t.occupancy.update(occupancyPercentage);
      if (o) events.push({ type: 'CrowdDetectorOccupancy', roiId, occupancyPercentage: o.percentage, occupancyLevel: o.level });
      const f = t.fluidity.update(fluidityPercentage);
      if (f) events.push({ type: 'CrowdDetectorFluidity', roiId, fluidityPercentage: f.percentage, fluidityLevel: f.level });
      const angle = t.direction?.update(bearing) ?? null;
      if (angle !== null) events.push({ type: 'CrowdDetectorDirection', roiId, directionAngle: angle });
      return { roiId, occupancyPercentage, occupancyLevel: t.occupancy.level, fluidityPercentage, fluidityLevel: t.fluidity.level, bearing };
    });
    return { events, rois };
  }

  /** A new picture size: new masks and models (the background is relearnt), same levels. */
  private resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.motion = new MotionModel(width, height);
    const flow = new BlockFlow(width, height);
    this.flow = flow;
    const cellCount = flow.gridWidth * flow.gridHeight;
    this.wanted = new Uint8Array(cellCount);
    this.cellForeground = new Float32Array(cellCount);
    this.cellFastAt = new Float32Array(cellCount).fill(-1);
    this.geometry = this.rois.map((roi) => {
      const mask = new RoiMask(roi.points, width, height);
      const shares = mask.cellShares(FLOW_CELL, flow.gridWidth, flow.gridHeight);
      // Cells mostly inside the ROI; a ROI smaller than that keeps every cell it touches.
      let cells = indices(shares, (s) => s >= 0.5);
      if (cells.length === 0) cells = indices(shares, (s) => s > 0);
      for (const c of cells) {
        this.wanted[c] = 1;
        if (this.cellFastAt[c]! < 0) this.cellFastAt[c] = roi.config.fluidityLevelMed;
      }
      return { mask, cells };
    });
  }

  /** Foreground share of every cell some ROI uses. */
  private measureCells(fg: Uint8Array): void {
    const { gridWidth } = this.flow!;
    const width = this.width;
    for (let cell = 0; cell < this.wanted.length; cell++) {
      if (!this.wanted[cell]) continue;
      const x0 = (cell % gridWidth) * FLOW_CELL;
      const y0 = Math.floor(cell / gridWidth) * FLOW_CELL;
      let n = 0;
      for (let y = y0; y < y0 + FLOW_CELL; y++) {
        for (let i = y * width + x0, end = i + FLOW_CELL; i < end; i++) n += fg[i]!;
      }
      this.cellForeground[cell] = n / (FLOW_CELL * FLOW_CELL);
    }
  }

  /** The cells of the last frame where the crowd is (occupied cells of any ROI). */
  crowdCells(): CrowdCell[] {
    const flow = this.flow;
    if (!flow) return [];
    const out: CrowdCell[] = [];
    const w = FLOW_CELL / this.width;
    const h = FLOW_CELL / this.height;
    const speedScale = DEFAULT_PROCESSING_WIDTH / this.width;
    for (let c = 0; c < this.wanted.length; c++) {
      if (!this.wanted[c] || this.cellForeground[c]! < OCCUPIED_CELL) continue;
      const speed = (100 * Math.hypot(flow.vx[c]!, flow.vy[c]!) * speedScale) / FULL_SPEED;
      out.push({ x: (c % flow.gridWidth) * w, y: Math.floor(c / flow.gridWidth) * h, width: w, height: h, fast: speed >= this.cellFastAt[c]! });
    }
    return out;
  }

  private fluidity(cells: Int32Array, speedScale: number): number {
    const { vx, vy } = this.flow!;
    let occupied = 0;
    let speed = 0;
    for (const c of cells) {
      if (this.cellForeground[c]! < OCCUPIED_CELL) continue;
      occupied++;
      speed += Math.hypot(vx[c]!, vy[c]!) * speedScale;
    }
    return occupied ? Math.min(100, (100 * speed) / occupied / FULL_SPEED) : 0;
  }

  private bearing(cells: Int32Array, speedScale: number): number | null {
    const { vx, vy, moving } = this.flow!;
    let sx = 0;
    let sy = 0;
    let speed = 0;
    for (const c of cells) {
      if (!moving[c]) continue;
      const s = Math.hypot(vx[c]!, vy[c]!) * speedScale;
      if (s < MIN_DIRECTION_SPEED) continue;
      sx += vx[c]!;
      sy += vy[c]!;
      speed += s / speedScale;
    }
    if (speed === 0 || Math.hypot(sx, sy) < MIN_COHERENCE * speed) return null;
    // Image y grows downwards: north is -y. Bearing clockwise from north.
    return ((Math.atan2(sx, -sy) * 180) / Math.PI + 360) % 360;
  }
}

function indices(values: Float32Array, keep: (v: number) => boolean): Int32Array {
  const out: number[] = [];
  values.forEach((v, i) => { if (keep(v)) out.push(i); });
  return Int32Array.from(out);
}
