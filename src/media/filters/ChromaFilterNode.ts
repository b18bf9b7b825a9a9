import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChromaFilterOptions, EmitFn, NodeOpHandlers } from '../../shared/workerProtocol.ts';
import { FrameTap } from '../../engine/FrameTap.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import type { EngineBin } from '../engine/EngineBin.ts';
import { FilterNode, type FilterCore } from './FilterNode.ts';
import { ColourMeter, outsidePicture } from './chromaCalibration.ts';
import { OverlayImages } from './OverlayImages.ts';
import { FrameSize } from './FrameSize.ts';
import { MarksCanvas } from './MarksCanvas.ts';

/** The calibration copies of the picture: small RGBx frames (4 bytes a pixel: no row padding). */
const TAP_W = 160;
const TAP_H = 120;
const TAP_FPS = 10;
/** Kurento docs, Chroma tutorial: "In the first second ... a calibration process is done". */
const CALIBRATION_MS = 1000;
/** alpha `angle`: how far (degrees of chroma) from the key colour is still keyed out. */
const KEY_ANGLE = 20;

/**
 * The compositor needs a fixed output rate: decoded RTP video has `framerate=0/1`, for
 * which it picks 25 fps (measured: 30 fps in, 25 out). 30 is what cameras and Fluo's
 * players send; a source sending fewer frames has its last frame repeated.
 */
const OUTPUT_FPS = 30;

/**
 * KMD `ChromaFilter` (module chroma 7.3.0): makes a colour range of the picture
 * transparent, revealing a background image behind (chroma.kmd). The core bin:
 *
 *   raw -> tee cv -> alpha name=key -------------------> compositor mix (sink_1, on top) -> square
 *               \--> gdkpixbufoverlay name=bg (image) --> compositor mix (sink_0, below)
 *   and, on a side branch, 10 fps 160x120 RGBx frames -> FrameTap -> calibration here
 *
 * The background is the image drawn over the picture itself, stretched to its size (as
 * Kurento scales it), so it always has the picture's size and timestamps. Until the first
 * second of frames is measured `key` passes everything opaque; then it keys out the mean
 * colour of the window (alpha `method=custom`, media-probe-notes §6). Without a
 * background image (none given, or unsetBackground) the keyed area is black: the
 * compositor's background shows through the hidden `bg` layer.
 */
export class ChromaFilterNode extends FilterNode {
  readonly #opts: ChromaFilterOptions;
  #tap: FrameTap | undefined;
  /** The background images, fetched once per URI (shared with the overlay filters). */
  readonly #images: OverlayImages;
  /** A private folder for the calibration square's PNG. */
  #squareDir: string | undefined;
  #squares = 0;
  /** The picture size, followed from the caps of `key` (the background is stretched to it). */
  readonly #size: FrameSize;
  #meter: ColourMeter | undefined;
  #calibrationStart = 0;
  #calibrationDone = false;
  /** The local copy of the background image, undefined for none. */
  #background: string | undefined;
  /** The background given at create: `ready` (so `create`) fails with its error. */
  readonly #initial: Promise<void>;

  constructor(id: string, emit: EmitFn, options: ChromaFilterOptions, engine: NodeEngine) {
    super(id, emit, 'ChromaFilter', engine, 'VIDEO');
    this.#opts = options;
    this.#images = new OverlayImages(`ChromaFilter ${id}`, options);
    this.#size = new FrameSize(() => this.coreBin, 'key', 'sink', () => void this.#showBackground().catch((err: unknown) => this.#error(err)));
    this.#initial = options.backgroundImage ? this.#setBackground(options.backgroundImage) : Promise.resolve();
    this.#initial.catch(() => undefined);
  }

  protected core(): FilterCore {
    // Built again after an engine process loss: calibrate again, read the size again.
    this.#tap?.close();
    this.#tap = new FrameTap(TAP_W * TAP_H * 4);
    this.#tap.on('frame', (f) => this.#onTapFrame(f));
    this.#size.forget();
    this.#size.watch(true);
    this.#meter = undefined;
    this.#calibrationDone = false;
    const q = 'queue max-size-buffers=3 max-size-bytes=0 max-size-time=0';
    return {
      fragment: `tee name=cv ! ${q} ! alpha name=key method=set alpha=1 ! ${q} ! mix.sink_1 ` +
        `cv. ! ${q} ! gdkpixbufoverlay name=bg ! mix.sink_0 ` +
        `compositor name=mix background=black sink_0::zorder=0 sink_0::alpha=0 sink_1::zorder=1 ! video/x-raw,framerate=${OUTPUT_FPS}/1 ! ` +
        'gdkpixbufoverlay name=square',
      inputBranch: `queue max-size-buffers=1 max-size-bytes=0 max-size-time=0 leaky=downstream ! valve name=cal ! videorate ! video/x-raw,framerate=${TAP_FPS}/1 ! ` +
        `videoscale add-borders=false ! videoconvert ! video/x-raw,format=RGBx,width=${TAP_W},height=${TAP_H} ! ${this.#tap.sinkDescription()}`,
    };
  }

  #onTapFrame(frame: Buffer): void {
    if (this.#calibrationDone || this.closed) return;
    const core = this.coreBin;
    if (!core) return;
    const size = this.#size.current;
    if (!size) return;
    if (!this.#meter) {
      const why = outsidePicture(this.#opts.window, size.width, size.height);
      if (why) return this.#endCalibration(core, `ChromaFilter ${this.id}: ${why}: no colour calibrated, the picture passes unchanged`);
      this.#meter = new ColourMeter(TAP_W, TAP_H, this.#opts.window, size);
      this.#calibrationStart = performance.now();
      this.#showSquare(core);
    }
    this.#meter.add(frame);
    if (performance.now() - this.#calibrationStart < CALIBRATION_MS) return;
    const key = this.#meter.mean();
    if (!key) return;
    this.#endCalibration(core);
    void Promise.all([
      core.setProperty('key', 'target-r', key.r), core.setProperty('key', 'target-g', key.g), core.setProperty('key', 'target-b', key.b),
      core.setProperty('key', 'angle', KEY_ANGLE),
    ]).then(() => core.setProperty('key', 'method', 'custom')).catch((err: unknown) => this.#error(err));
  }

  /** The calibration branch stops (its valve drops everything) and the square goes; `why` says it failed. */
  #endCalibration(core: EngineBin, why?: string): void {
    this.#calibrationDone = true;
    if (why) this.emit('Error', { description: why, errorCode: 40003, type: 'MEDIA_OBJECT_ILLEGAL_PARAM_ERROR' });
    core.setProperty('cal', 'drop', true).catch(() => undefined);
    core.setProperty('square', 'alpha', 0).catch(() => undefined);
  }

  /**
   * The window drawn during the calibration (Kurento docs, Chroma tutorial: "a little
   * square appears in upper left of the video ... When the calibration is finished, the
   * square disappears"). Drawn once the window is known to fit the picture.
   */
  #showSquare(core: EngineBin): void {
    const w = this.#opts.window;
    this.#squareDir ??= mkdtempSync(join(tmpdir(), 'fluo-chroma-'));
    const canvas = new MarksCanvas(w.width, w.height);
    canvas.stroke(0, 0, w.width, w.height, [255, 255, 255, 255], Math.max(1, Math.min(2, Math.floor(Math.min(w.width, w.height) / 4))));
    const file = join(this.#squareDir, `square-${++this.#squares}.png`);
    writeFileSync(file, canvas.png(), { mode: 0o600 });
    void Promise.all([core.setProperty('square', 'offset-x', w.x), core.setProperty('square', 'offset-y', w.y)])
      .then(() => core.setProperty('square', 'location', file))
      .then(() => (this.#calibrationDone ? core.setProperty('square', 'alpha', 0) : undefined))
      .catch(() => undefined);
  }

  async #setBackground(uri: string): Promise<void> {
    // Each image has its own file: gdkpixbufoverlay loads the file when its location changes.
    this.#background = (await this.#images.get(uri)).path;
    await this.#showBackground();
  }

  /** The background layer as it should be now (no-op until the core and the picture size are known). */
  async #showBackground(): Promise<void> {
    const core = this.coreBin;
    const size = this.#size.current;
    if (!core || !size) return;
    if (!this.#background) return core.setProperty('mix', 'alpha', 0, 'sink_0');
    await core.setProperty('bg', 'location', this.#background);
    await core.setProperty('bg', 'overlay-width', size.width);
    await core.setProperty('bg', 'overlay-height', size.height);
    await core.setProperty('mix', 'alpha', 1, 'sink_0');
  }

  #error(err: unknown): void {
    if (this.closed) return;
    this.emit('Error', { description: `ChromaFilter ${this.id}: ${err instanceof Error ? err.message : String(err)}`, errorCode: 40003, type: 'MEDIA_ENGINE_ERROR' });
  }

  protected override operations(): NodeOpHandlers<'ChromaFilter'> {
    return {
      ...super.operations(),
      ready: async () => {
        await this.ready();
        await this.#initial;
        return null;
      },
      setBackground: async ({ uri }) => {
        await this.#setBackground(uri);
        return null;
      },
      unsetBackground: async () => {
        this.#background = undefined;
        await this.#showBackground();
        return null;
      },
    };
  }

  protected override async onClose(): Promise<void> {
    this.#size.watch(false);
    await super.onClose();
    this.#tap?.close();
    await this.#images.close();
    if (this.#squareDir) rmSync(this.#squareDir, { recursive: true, force: true });
  }
}
