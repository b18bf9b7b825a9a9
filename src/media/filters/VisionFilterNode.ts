import type { EmitFn, NodeKind } from '../../shared/workerProtocol.ts';
import { FrameTap } from '../../engine/FrameTap.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import { FilterNode } from './FilterNode.ts';
import { MarksOverlay } from './MarksOverlay.ts';
import type { FrameSize } from './vision/frame.ts';

/** Frames between two checks of the picture size (3 s at 10 frames a second). */
const SIZE_CHECK_FRAMES = 30;

/**
 * What the vision filters of Kurento's modules (pointerdetector, crowddetector) share
 * on top of FilterNode: raw frames of an analysis branch into the worker through a
 * FrameTap (engine-host-notes, "Raw frames": a FIFO, not appsink), marks drawn over the
 * video (MarksOverlay), the size of the picture clients see, and a fault in the analysis
 * reported once as `Error` while the video keeps flowing.
 */
export abstract class VisionFilterNode extends FilterNode {
  protected readonly marks = new MarksOverlay();
  /** The size of the picture clients see, once the engine has told it. */
  protected full: FrameSize | null = null;
  #tap: FrameTap | undefined;
  #frames = 0;
  #sizing = false;
  #failed = false;

  constructor(id: string, emit: EmitFn, kind: NodeKind, engine: NodeEngine) {
    super(id, emit, kind, engine, 'VIDEO');
  }

  /** One tapped frame of the analysis branch. */
  protected abstract analyse(frame: Buffer): void;

  /** Draws the marks again (the picture size or what they show changed). */
  protected abstract redraw(): void;

  /** A tap for a core bin being built (again, after an engine restart: the old one goes). */
  protected newTap(frameSize: number): FrameTap {
    this.#tap?.close();
    const tap = new FrameTap(frameSize);
    tap.on('frame', (f) => this.#frame(f));
    this.#tap = tap;
    return tap;
  }

  #frame(data: Buffer): void {
    if (this.closed) return;
    if (!this.full || ++this.#frames % SIZE_CHECK_FRAMES === 0) this.#checkSize();
    try {
      this.analyse(data);
    } catch (err) {
      // A wiring fault, not the client's: said once, the video keeps flowing.
      if (this.#failed) return;
      this.#failed = true;
      this.emit('Error', { description: `${this.kind} ${this.id}: ${err instanceof Error ? err.message : String(err)}`, errorCode: 40003, type: 'MEDIA_ENGINE_ERROR' });
    }
  }

  /** Learns the size of the picture (and its changes), then draws the marks for it. */
  #checkSize(): void {
    if (this.#sizing) return;
    this.#sizing = true;
    this.marks.pictureSize(this.coreBin).then((size) => {
      const changed = size && (size.width !== this.full?.width || size.height !== this.full?.height);
      if (size) this.full = size;
      if (changed) this.redraw();
    }, () => undefined).finally(() => { this.#sizing = false; });
  }

  protected override async onClose(): Promise<void> {
    // The bin goes first: its filesink must never write into a FIFO nobody reads.
    await super.onClose();
    this.#tap?.close();
    this.marks.close();
  }
}
