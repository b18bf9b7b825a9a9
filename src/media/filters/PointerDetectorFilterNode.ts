import type { EmitFn, NodeOpHandlers, PointerDetectorFilterOptions } from '../../shared/workerProtocol.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import type { FilterCore } from './FilterNode.ts';
import { analysisBranch } from './MarksOverlay.ts';
import { VisionFilterNode } from './VisionFilterNode.ts';
import { MarksCanvas, type Rgba } from './MarksCanvas.ts';
import type { FrameSize } from './vision/frame.ts';
import { PointerTracker } from './vision/PointerTracker.ts';
import type { PointerDetectorWindowMediaParam as PointerWindow } from './vision/PointerWindows.ts';
import { OverlayImages } from './OverlayImages.ts';
import { OverlayPool } from './OverlayPool.ts';

/**
 * The processed picture: 160x120 RGB is enough to find a 30 px pointer of a 640x480
 * picture (PointerTracker's tests measure its cost there) and keeps rows unpadded.
 */
const ANALYSIS: FrameSize = { width: 160, height: 120 };

/** Colours of the marks: the calibration square, and a window without / with the pointer. */
const CALIBRATION: Rgba = [255, 255, 255, 255];
const WINDOW: Rgba = [0, 128, 255, 255];
const WINDOW_ACTIVE: Rgba = [255, 200, 0, 255];
/** Windows whose images can be shown at once (gdkpixbufoverlay elements in the core). */
const IMAGE_SLOTS = 8;

/**
 * KMD `PointerDetectorFilter` (media half). The video passes through a
 * `gdkpixbufoverlay` that shows the calibration square and the windows, drawn again
 * when a window is added, removed, entered or left (Kurento docs, Pointer Detector
 * tutorial: the user puts the pointer "in a square in the upper left corner of the
 * video", then windows fire WindowIn / WindowOut). A side branch feeds 10 frames a
 * second of 160x120 RGB to PointerTracker through a FrameTap.
 *
 * A window with images (`image`, `activeImage`: KMD, "the image to be used for the
 * window; if activeImage has been set, it will only be shown when the pointer is
 * outside of the window") shows them scaled to the window, `imageTransparency` as their
 * transparency (0 opaque), from a pool of overlay elements before the marks; the images
 * are fetched once each, as the overlay filters' are. A window without an image (or
 * whose image cannot be fetched: an `Error` event says why) is drawn as a rectangle,
 * in another colour while the pointer is inside.
 */
export class PointerDetectorFilterNode extends VisionFilterNode {
  readonly #tracker: PointerTracker;
  readonly #images: OverlayImages;
  readonly #pool = new OverlayPool('pw', IMAGE_SLOTS);
  /** URIs whose fetch failed (said once in an Error event; drawn as rectangles). */
  readonly #failed = new Set<string>();
  /** Bumped at each redraw: an image fetched for an older one is not shown. */
  #generation = 0;

  constructor(id: string, emit: EmitFn, options: PointerDetectorFilterOptions, engine: NodeEngine) {
    super(id, emit, 'PointerDetectorFilter', engine);
    this.#tracker = new PointerTracker(options.calibrationRegion, options.windows);
    this.#images = new OverlayImages(`PointerDetectorFilter ${id}`, options);
  }

  protected core(): FilterCore {
    const tap = this.newTap(ANALYSIS.width * ANALYSIS.height * 3);
    this.#pool.reset();
    return { fragment: `${this.#pool.fragment()} ! ${this.marks.fragment()}`, inputBranch: analysisBranch(tap, 'RGB', ANALYSIS) };
  }

  /** The image a window shows now, if any: activeImage while the pointer is in it, else image. */
  #imageOf(w: PointerWindow): string | undefined {
    const uri = this.#tracker.isWindowActive(w.id) ? w.activeImage ?? w.image : w.image;
    return uri !== undefined && !this.#failed.has(uri) ? uri : undefined;
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
    const withImages: Array<{ w: PointerWindow; uri: string }> = [];
    for (const w of this.#tracker.windows()) {
      const uri = withImages.length < IMAGE_SLOTS ? this.#imageOf(w) : undefined;
      if (uri) withImages.push({ w, uri });
      else image.stroke(w.upperRightX, w.upperRightY, w.width, w.height, this.#tracker.isWindowActive(w.id) ? WINDOW_ACTIVE : WINDOW);
    }
    this.marks.show(this.coreBin, image);
    void this.#showImages(withImages, ++this.#generation);
  }

  async #showImages(windows: Array<{ w: PointerWindow; uri: string }>, generation: number): Promise<void> {
    const bin = this.coreBin;
    if (!bin) return;
    const fetched = await Promise.all(windows.map(({ uri }) => this.#images.get(uri).then((img) => img.path, (err: unknown) => {
      if (!this.#failed.has(uri) && !this.closed) {
        this.#failed.add(uri);
        this.emit('Error', { description: `PointerDetectorFilter ${this.id}: window image ${uri}: ${err instanceof Error ? err.message : String(err)}`, errorCode: 40003, type: 'MEDIA_ENGINE_ERROR' });
        this.redraw();
      }
      return undefined;
    })));
    if (generation !== this.#generation || this.closed || !bin.alive) return;
    try {
      for (let i = 0; i < IMAGE_SLOTS; i++) {
        const win = windows[i];
        const path = fetched[i];
        if (win && path) {
          const { w } = win;
          await this.#pool.show(bin, i, path, { x: w.upperRightX, y: w.upperRightY, width: w.width, height: w.height }, 1 - (w.imageTransparency ?? 0));
        } else {
          await this.#pool.hide(bin, i);
        }
      }
    } catch {
      // The bin went away (release, engine restart): the rebuilt core is drawn again.
    }
  }

  protected override async onClose(): Promise<void> {
    await super.onClose();
    await this.#images.close();
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
