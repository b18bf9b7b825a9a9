import type { EmitFn, NodeOpHandlers, PlateDetectorFilterOptions } from '../../shared/workerProtocol.ts';
import { FrameTap } from '../../engine/FrameTap.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import { PlateReader } from './vision/PlateReader.ts';
import { FilterNode, type FilterCore } from './FilterNode.ts';
import { analysisBranch } from './MarksOverlay.ts';

/**
 * What the analysis sees: VGA, Kurento's tutorials' size, on which PlateLocator's sizes
 * and setPlateWidthPercentage were measured (vision/README.md); GRAY8 rows of 640 bytes
 * need no stride padding (FrameTap).
 */
const WIDTH = 640;
const HEIGHT = 480;
/**
 * Frames analysed per second: one read (locate, crop, tesseract) takes 100-200 ms here
 * (vision/README.md, "Figures"), so 3 fps keeps the OCR busy about half the time without
 * queueing; frames arriving while it is busy are dropped by PlateReader, not queued.
 */
const ANALYSIS_FPS = 3;

/**
 * KMD `PlateDetectorFilter` (module platedetector): raises `PlateDetected {plate}` for the
 * licence plates in the picture, once per appearance (Kurento's tutorial forwards each
 * event to the browser as `plateDetected`, 004 "Plate Detector Filter"). The picture itself
 * passes unchanged (`identity`): Kurento's filter only reads it.
 *
 * OCR runs off the media path: a leaky branch of the core bin drops to ANALYSIS_FPS, scales
 * to 640x480 GRAY8 and writes into a FrameTap; PlateReader analyses those frames here, in
 * the media worker, with tesseract in child processes. A slow or failing OCR drops
 * analysis frames (the branch's queue leaks) and never slows the picture.
 */
export class PlateDetectorFilterNode extends FilterNode {
  readonly #reader: PlateReader;
  #tap: FrameTap | undefined;

  constructor(id: string, emit: EmitFn, options: PlateDetectorFilterOptions, engine: NodeEngine) {
    super(id, emit, 'PlateDetectorFilter', engine, 'VIDEO');
    this.#reader = new PlateReader({ plateWidthPercentage: options.plateWidthPercentage });
  }

  protected core(): FilterCore {
    // A fresh FIFO for every build of the bin: an engine process that died in the middle
    // of a frame left part of it in the old one, which would shift every later frame.
    this.#tap?.close();
    const tap = new FrameTap(WIDTH * HEIGHT);
    tap.on('frame', (data) => this.#analyse(data));
    this.#tap = tap;
    return {
      fragment: 'identity',
      // A leaky branch (MarksOverlay's analysisBranch): analysis never holds the picture,
      // and a frame the busy reader cannot take is dropped, not queued.
      inputBranch: analysisBranch(tap, 'GRAY8', { width: WIDTH, height: HEIGHT }, ANALYSIS_FPS),
    };
  }

  #analyse(data: Buffer): void {
    if (this.closed) return;
    // read() never rejects; a busy reader drops the frame and counts it.
    void this.#reader.read({ data, width: WIDTH, height: HEIGHT, format: 'GRAY8' }).then((r) => {
      if (r.plate !== undefined && !this.closed) this.emit('PlateDetected', { plate: r.plate });
    });
  }

  /** What the reader did so far (frames, dropped, OCR calls and failures, reported). */
  get readerStats(): PlateReader['stats'] {
    return this.#reader.stats;
  }

  protected override operations(): NodeOpHandlers<'PlateDetectorFilter'> {
    return {
      ...super.operations(),
      setPlateWidthPercentage: ({ plateWidthPercentage }) => {
        this.#reader.setPlateWidthPercentage(plateWidthPercentage);
        return null;
      },
    };
  }

  protected override async onClose(): Promise<void> {
    // The bin goes first: its filesink must not write into a FIFO nobody reads (EPIPE).
    await super.onClose();
    this.#tap?.close();
  }
}
