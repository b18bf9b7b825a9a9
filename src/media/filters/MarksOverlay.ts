import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineBin } from '../engine/EngineBin.ts';
import type { FrameTap } from '../../engine/FrameTap.ts';
import type { FrameSize } from './vision/frame.ts';
import { MarksCanvas } from './MarksCanvas.ts';
import { parseSize } from './FrameSize.ts';

/** The name of the overlay element in the fragment of a vision filter's core bin. */
const ELEMENT = 'marks';

/**
 * What the vision filters (PointerDetectorFilter, CrowdDetectorFilter) draw over the
 * video: an `MarksCanvas` the worker renders when the marks change, shown by a
 * `gdkpixbufoverlay` in the core bin (its `location` and offsets change live). Only the
 * bounding box of what is drawn is written and blended: blending a whole transparent
 * 640x480 picture costs about 1 ms per frame on this VM (gst-launch, 900 frames), a
 * box a fraction of it. The PNGs live in a private temporary folder, removed on close.
 *
 * Also asks the engine for the size of the picture clients see (the caps on the
 * overlay's sink pad): the vision cores work on a downscaled copy and report in
 * full-picture pixels (KMD pointerdetector windows are in pixels of the video).
 */
export class MarksOverlay {
  readonly #dir = mkdtempSync(join(tmpdir(), 'fluo-marks-'));
  #count = 0;
  #written: string[] = [];
  /** The image waiting to be shown, when a change is already under way. */
  #next: MarksCanvas | null = null;
  #busy = false;
  #closed = false;

  /** The fragment of the core bin: the overlay, with nothing to show until `show`. */
  fragment(): string {
    return `gdkpixbufoverlay name=${ELEMENT}`;
  }

  /** Shows `image` (full-picture size) over the video; changes made meanwhile are coalesced. */
  show(bin: EngineBin | undefined, image: MarksCanvas): void {
    if (this.#closed || !bin) return;
    this.#next = image;
    if (!this.#busy) void this.#drain(bin);
  }

  async #drain(bin: EngineBin): Promise<void> {
    this.#busy = true;
    try {
      while (this.#next && !this.#closed && bin.alive) {
        const image = this.#next;
        this.#next = null;
        await this.#apply(bin, image);
      }
    } catch {
      // The bin went away under us (release, engine restart): the next show starts over.
    } finally {
      this.#busy = false;
    }
  }

  async #apply(bin: EngineBin, image: MarksCanvas): Promise<void> {
    const box = image.bounds() ?? { x: 0, y: 0, width: 1, height: 1 };
    const file = join(this.#dir, `marks-${++this.#count}.png`);
    writeFileSync(file, image.crop(box).png());
    // Offsets first: for at most one frame the old marks may show at the new place.
    await bin.setProperty(ELEMENT, 'offset-x', box.x);
    await bin.setProperty(ELEMENT, 'offset-y', box.y);
    // gdkpixbufoverlay loads the file when `location` is set (gst-plugins-good 1.22).
    await bin.setProperty(ELEMENT, 'location', file);
    this.#written.push(file);
    while (this.#written.length > 2) rmSync(this.#written.shift()!, { force: true });
  }

  /** The size of the picture entering the overlay, or null while no caps are set. */
  async pictureSize(bin: EngineBin | undefined): Promise<FrameSize | null> {
    if (!bin?.alive) return null;
    const caps = await bin.getProperty(ELEMENT, 'caps', 'sink');
    return (typeof caps === 'string' ? parseSize(caps) : undefined) ?? null;
  }

  close(): void {
    this.#closed = true;
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

/**
 * The analysis branch of a vision filter: the raw input, at most `fps` frames a second
 * (default 10: the cores need no more, and Kurento's filters also analyse fewer frames
 * than they pass; the plate detector's OCR takes 3),
 * scaled to `size` in `format`, into `tap`. The leaky queue drops frames rather than
 * hold the picture back when the worker reads slowly. Widths must keep rows unpadded
 * (a multiple of 4 for GRAY8, RGB: FrameTap cuts frames by size). The rate is set by
 * caps, not `max-rate`: RTP-decoded video says framerate 0/1, and videorate's max-rate
 * then lets every frame through (media-probe-notes §12).
 */
export function analysisBranch(tap: FrameTap, format: 'RGB' | 'GRAY8', size: FrameSize, fps = 10): string {
  return `queue max-size-buffers=2 max-size-bytes=0 max-size-time=0 leaky=downstream ! videorate ! video/x-raw,framerate=${fps}/1 ! ` +
    `videoscale ! videoconvert ! video/x-raw,format=${format},width=${size.width},height=${size.height} ! ${tap.sinkDescription()}`;
}
