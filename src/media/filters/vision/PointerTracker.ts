/**
 * The analysis core of Kurento's PointerDetectorFilter (KMD pointerdetector): follows an
 * object of a calibrated colour in a downscaled RGB24 side branch of the video and turns
 * its moves into WindowIn / WindowOut events. No GStreamer here: the filter node feeds
 * frames from a FrameTap and draws the windows and the pointer itself.
 *
 * Kurento's tutorial flow (Kurento docs, "Module Tutorial - Pointer Detector Filter"):
 * the user holds the pointer in the calibration square at the upper left of the picture,
 * the application calls trackColorFromCalibrationRegion(), and from then on the colour is
 * tracked and the windows fire events.
 */
import { BlobFinder } from './BlobFinder.ts';
import { checkFrame, type FrameSize, type VideoFrame } from './frame.ts';
import { HsvRange } from './HsvRange.ts';
import { numberField, record } from './params.ts';
import { PointerWindows, type Point, type PointerDetectorWindowMediaParam, type WindowEvent } from './PointerWindows.ts';

/**
 * KMD `WindowParam`, in pixels of the full picture. "topRight" is a misnomer kept by the
 * KMD: the doc of both fields says "the left upper point of the window", and Kurento's
 * tutorial box (5, 5, 30, 30) sits at the upper left.
 */
export interface WindowParam {
  readonly topRightCornerX: number;
  readonly topRightCornerY: number;
  readonly width: number;
  readonly height: number;
}

export interface PointerTrackerOptions {
  /**
   * Smallest blob, in pixels of the processed picture, taken for a pointer. Default: one
   * 2000th of the picture (10 pixels at 160x120), at least 4; smaller blobs are noise.
   */
  readonly minBlobArea?: number;
}

export interface PointerFrameResult {
  /** Centroid of the pointer in full-picture pixels, or null when none is seen. */
  readonly pointer: Point | null;
  readonly events: WindowEvent[];
}

export function parseWindowParam(value: unknown): WindowParam {
  const f = record(value, 'calibrationRegion');
  const what = 'calibrationRegion';
  return {
    topRightCornerX: numberField(f, 'topRightCornerX', what, { min: 0 }),
    topRightCornerY: numberField(f, 'topRightCornerY', what, { min: 0 }),
    width: numberField(f, 'width', what, { min: 1 }),
    height: numberField(f, 'height', what, { min: 1 }),
  };
}

export class PointerTracker {
  readonly calibrationRegion: WindowParam;
  private readonly windowSet = new PointerWindows();
  private readonly blobs = new BlobFinder();
  private readonly minBlobArea: number | undefined;
  private range: HsvRange | null = null;
  private calibrationPending = false;
  private latest: { frame: VideoFrame; full: FrameSize } | null = null;
  private mask = new Uint8Array(0);

  /** Throws KurentoError on a malformed region or window, as the constructor of the filter must. */
  constructor(calibrationRegion: unknown, windows: readonly unknown[] = [], options: PointerTrackerOptions = {}) {
    this.calibrationRegion = parseWindowParam(calibrationRegion);
    for (const w of windows) this.windowSet.add(w);
    this.minBlobArea = options.minBlobArea;
  }

  /** The colour tracked, null until calibrated. */
  get colour(): HsvRange | null {
    return this.range;
  }

  addWindow(window: unknown): PointerDetectorWindowMediaParam {
    return this.windowSet.add(window);
  }

  removeWindow(windowId: unknown): boolean {
    return this.windowSet.remove(windowId);
  }

  clearWindows(): void {
    this.windowSet.clear();
  }

  windows(): PointerDetectorWindowMediaParam[] {
    return this.windowSet.list();
  }

  isWindowActive(windowId: string): boolean {
    return this.windowSet.isActive(windowId);
  }

  /**
   * Learns the colour from the calibration region of the latest frame. Before any frame
   * has arrived it is learnt from the first one: a client may calibrate as soon as the
   * filter exists. FrameTap hands out a fresh Buffer per frame, so keeping the latest is
   * safe. Until the first calibration no pointer is reported: there is no colour to follow.
   */
  trackColorFromCalibrationRegion(): void {
    if (this.latest) this.calibrate(this.latest.frame, this.latest.full);
    else this.calibrationPending = true;
  }

  /** One RGB24 frame of the processed picture; `full`: size of the picture clients see. */
  process(frame: VideoFrame, full: FrameSize): PointerFrameResult {
    checkFrame(frame, 3);
    if (!(full.width > 0 && full.height > 0)) throw new RangeError(`bad full picture size ${full.width}x${full.height}`);
    this.latest = { frame, full };
    if (this.calibrationPending) {
      this.calibrationPending = false;
      this.calibrate(frame, full);
    }
    const pointer = this.range ? this.locate(frame, full, this.range) : null;
    return { pointer, events: this.windowSet.update(pointer) };
  }

  private calibrate(frame: VideoFrame, full: FrameSize): void {
    const r = this.calibrationRegion;
    const sx = frame.width / full.width;
    const sy = frame.height / full.height;
    // The region in processed pixels, every pixel it touches, clipped to the picture.
    const x0 = Math.max(0, Math.floor(r.topRightCornerX * sx));
    const y0 = Math.max(0, Math.floor(r.topRightCornerY * sy));
    const x1 = Math.min(frame.width, Math.ceil((r.topRightCornerX + r.width) * sx));
    const y1 = Math.min(frame.height, Math.ceil((r.topRightCornerY + r.height) * sy));
    // A region outside the picture (a smaller stream than the client assumed) keeps the
    // colour learnt before: nothing in it is the pointer.
    if (x1 <= x0 || y1 <= y0) return;
    this.range = HsvRange.fromRegion(frame.data, frame.width, x0, y0, x1, y1);
  }

  private locate(frame: VideoFrame, full: FrameSize, range: HsvRange): Point | null {
    const { data, width, height } = frame;
    const n = width * height;
    if (this.mask.length !== n) this.mask = new Uint8Array(n);
    const mask = this.mask;
    for (let i = 0, p = 0; i < n; i++, p += 3) mask[i] = range.matches(data[p]!, data[p + 1]!, data[p + 2]!) ? 1 : 0;
    const blob = this.blobs.largest(mask, width, height);
    const minArea = this.minBlobArea ?? Math.max(4, Math.round(n / 2000));
    if (!blob || blob.area < minArea) return null;
    return { x: (blob.cx * full.width) / width, y: (blob.cy * full.height) / height };
  }
}
