import type { EmitFn, NodeOpHandlers, PointerDetectorFilterOptions } from '../../shared/workerProtocol.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import type { FilterCore } from './FilterNode.ts';
import { analysisBranch } from './MarksOverlay.ts';
import { VisionFilterNode } from './VisionFilterNode.ts';
import { MarksCanvas, type Rgba } from './MarksCanvas.ts';
import type { FrameSize } from './vision/frame.ts';
import { PointerTracker } from './vision/PointerTracker.ts';

/**
 * The processed picture: 160x120 RGB is enough to find a 30 px pointer of a 640x480
 * picture (PointerTracker's tests measure its cost there) and keeps rows unpadded.
 */
const ANALYSIS: FrameSize = { width: 160, height: 120 };

/** Colours of the marks: the calibration square, and a window without / with the pointer. */
const CALIBRATION: Rgba = [255, 255, 255, 255];
const WINDOW: Rgba = [0, 128, 255, 255];
const WINDOW_ACTIVE: Rgba = [255, 200, 0, 255];

/**
 * KMD `PointerDetectorFilter` (media half). The video passes through a
 * `gdkpixbufoverlay` that shows the calibration square and the windows, drawn again
 * when a window is added, removed, entered or left (Kurento docs, Pointer Detector
 * tutorial: the user puts the pointer "in a square in the upper left corner of the
 * video", then windows fire WindowIn / WindowOut). A side branch feeds 10 frames a
 * second of 160x120 RGB to PointerTracker through a FrameTap.
 *
 * Window images (`image`, `activeImage`) are not fetched: the window is drawn as a
 * rectangle, in another colour while the pointer is inside.
 */
export class PointerDetectorFilterNode extends VisionFilterNode {
  readonly #tracker: PointerTracker;

  constructor(id: string, emit: EmitFn, options: PointerDetectorFilterOptions, engine: NodeEngine) {
    super(id, emit, 'PointerDetectorFilter', engine);
    this.#tracker = new PointerTracker(options.calibrationRegion, options.windows);
  }

  protected core(): FilterCore {
    const tap = this.newTap(ANALYSIS.width * ANALYSIS.height * 3);
    return { fragment: this.marks.fragment(), inputBranch: analysisBranch(tap, 'RGB', ANALYSIS) };
  }

  protected analyse(data: Buffer): void {
    if (!this.full) return;
    const { events } = this.#tracker.process({ ...ANALYSIS, data }, this.full);
    for (const e of events) this.emit(e.type, { windowId: e.windowId });
    if (events.length) this.redraw();
  }

  protected redraw(): void {
    const full = this.full;
    if (!full || this.closed) return;
    const image = new MarksCanvas(full.width, full.height);
    const c = this.#tracker.calibrationRegion;
    image.stroke(c.topRightCornerX, c.topRightCornerY, c.width, c.height, CALIBRATION);
    for (const w of this.#tracker.windows()) {
      image.stroke(w.upperRightX, w.upperRightY, w.width, w.height, this.#tracker.isWindowActive(w.id) ? WINDOW_ACTIVE : WINDOW);
    }
    this.marks.show(this.coreBin, image);
  }

  protected override operations(): NodeOpHandlers<'PointerDetectorFilter'> {
    return {
      ...super.operations(),
      ready: async () => {
        await this.ready();
        return null;
      },
      addWindow: ({ window }) => {
        this.#tracker.addWindow(window);
        this.redraw();
        return null;
      },
      removeWindow: ({ windowId }) => {
        this.#tracker.removeWindow(windowId);
        this.redraw();
        return null;
      },
      clearWindows: () => {
        this.#tracker.clearWindows();
        this.redraw();
        return null;
      },
      trackColorFromCalibrationRegion: () => {
        this.#tracker.trackColorFromCalibrationRegion();
        return null;
      },
    };
  }
}
