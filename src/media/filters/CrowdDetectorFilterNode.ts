import type { CrowdDetectorFilterOptions, EmitFn, NodeOpHandlers } from '../../shared/workerProtocol.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import type { FilterCore } from './FilterNode.ts';
import { analysisBranch } from './MarksOverlay.ts';
import { VisionFilterNode } from './VisionFilterNode.ts';
import { MarksCanvas, type Rgba } from './MarksCanvas.ts';
import type { FrameSize } from './vision/frame.ts';
import { CrowdAnalyzer, type CrowdCell, type CrowdEvent } from './vision/CrowdAnalyzer.ts';

/**
 * The paint, as Kurento's filter draws it (Kurento docs, Crowd Detector tutorial: "two
 * ROIs (bounded with white lines in the video) ... red zones are drawn over detected
 * static crowds (or moving slowly). Blue zones are drawn over the detected crowds moving
 * fast"): each ROI's outline in white, and over every flow cell where the crowd is, red
 * or blue (fast: at the ROI's medium fluidity or more), half transparent.
 */
const OUTLINE: Rgba = [255, 255, 255, 255];
const SLOW: Rgba = [255, 0, 0, 110];
const FAST: Rgba = [0, 64, 255, 110];
/**
 * Least time between two repaints (ms): each one is a PNG the engine loads. At 500 ms
 * the paint cost the worker 0.8% of a core (bench:filters, crowd scene), at 250 ms 2.3%,
 * with a fill per pixel and zlib's default level; with word fills and level 1
 * (MarksCanvas) a 640x480 paint takes about 2 ms instead of 12.
 */
const REPAINT_MS = 500;

/**
 * KMD `CrowdDetectorFilter` (media half). A side branch feeds GRAY8 frames, at most 10
 * a second and `processingWidth` wide (KMD: "width of the image used to process"), to
 * CrowdAnalyzer through a FrameTap; its events go out per ROI as the KMD names them.
 *
 * The tap's size is fixed when the core bin is built (the width given at creation, the
 * height for 4:3). A later `processingWidth`, or a picture of another aspect, is reached
 * by resampling the tapped frame in the worker (nearest neighbour), so the ROIs, given in
 * relative coordinates, and the motion directions keep the picture's geometry.
 */
export class CrowdDetectorFilterNode extends VisionFilterNode {
  readonly #analyzer: CrowdAnalyzer;
  #tapSize: FrameSize = { width: 0, height: 0 };
  /** The crowd cells painted now, and what they looked like (to repaint on change only). */
  #cells: CrowdCell[] = [];
  #painted = '';
  #paintedAt = -Infinity;
  #scaled = new Uint8Array(0);

  constructor(id: string, emit: EmitFn, options: CrowdDetectorFilterOptions, engine: NodeEngine) {
    super(id, emit, 'CrowdDetectorFilter', engine);
    this.#analyzer = new CrowdAnalyzer(options.rois, { processingWidth: options.processingWidth });
  }

  protected core(): FilterCore {
    const width = Math.max(16, Math.round(this.#analyzer.processingWidth / 4) * 4);
    this.#tapSize = { width, height: Math.round((width * 3) / 8) * 2 };
    const tap = this.newTap(this.#tapSize.width * this.#tapSize.height);
    return { fragment: this.marks.fragment(), inputBranch: analysisBranch(tap, 'GRAY8', this.#tapSize) };
  }

  protected analyse(data: Buffer): void {
    const { events } = this.#analyzer.process(this.#analysisFrame(data));
    for (const e of events) this.#send(e);
    if (performance.now() - this.#paintedAt < REPAINT_MS) return;
    const cells = this.#analyzer.crowdCells();
    const look = cells.map((c) => `${c.x},${c.y},${c.fast ? 1 : 0}`).join(';');
    if (look === this.#painted) return;
    this.#cells = cells;
    this.#painted = look;
    this.redraw();
  }

  /** The tapped frame, resampled to processingWidth and the picture's aspect when they differ. */
  #analysisFrame(data: Buffer): { width: number; height: number; data: Uint8Array } {
    const tap = this.#tapSize;
    const width = this.#analyzer.processingWidth;
    const height = this.full ? Math.max(1, Math.round((width * this.full.height) / this.full.width)) : Math.round((width * tap.height) / tap.width);
    if (width === tap.width && height === tap.height) return { width, height, data };
    if (this.#scaled.length !== width * height) this.#scaled = new Uint8Array(width * height);
    const out = this.#scaled;
    for (let y = 0; y < height; y++) {
      const row = Math.min(tap.height - 1, Math.floor(((y + 0.5) * tap.height) / height)) * tap.width;
      for (let x = 0; x < width; x++) out[y * width + x] = data[row + Math.min(tap.width - 1, Math.floor(((x + 0.5) * tap.width) / width))]!;
    }
    return { width, height, data: out };
  }

  /** KMD event fields, with `roiID` too (see MediaEvents in workerProtocol.ts). */
  #send(e: CrowdEvent): void {
    const ids = { roiId: e.roiId, roiID: e.roiId };
    switch (e.type) {
      case 'CrowdDetectorOccupancy':
        return this.emit(e.type, { ...ids, occupancyPercentage: e.occupancyPercentage, occupancyLevel: e.occupancyLevel });
      case 'CrowdDetectorFluidity':
        return this.emit(e.type, { ...ids, fluidityPercentage: e.fluidityPercentage, fluidityLevel: e.fluidityLevel });
      case 'CrowdDetectorDirection':
        return this.emit(e.type, { ...ids, directionAngle: e.directionAngle });
    }
  }

  protected redraw(): void {
    const full = this.full;
    if (!full || this.closed) return;
    const image = new MarksCanvas(full.width, full.height);
    const w = full.width - 1;
    const h = full.height - 1;
    for (const c of this.#cells) image.fill(c.x * full.width, c.y * full.height, c.width * full.width, c.height * full.height, c.fast ? FAST : SLOW);
    for (const roi of this.#analyzer.rois) {
      roi.points.forEach((p, k) => {
        const q = roi.points[(k + 1) % roi.points.length]!;
        image.line(p.x * w, p.y * h, q.x * w, q.y * h, OUTLINE, 3);
      });
    }
    this.#paintedAt = performance.now();
    this.marks.show(this.coreBin, image);
  }

  protected override operations(): NodeOpHandlers<'CrowdDetectorFilter'> {
    return {
      ...super.operations(),
      ready: async () => {
        await this.ready();
        return null;
      },
      setProcessingWidth: ({ width }) => {
        this.#analyzer.processingWidth = width;
        return null;
      },
    };
  }
}
