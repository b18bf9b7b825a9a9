import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChromaFilterOptions, EmitFn, NodeOpHandlers } from '../../shared/workerProtocol.ts';
import { FrameTap } from '../../engine/FrameTap.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import type { EngineBin } from '../engine/EngineBin.ts';
import { FilterNode, type FilterCore } from './FilterNode.ts';
import { ColourMeter, capsSize, outsidePicture, type Rgb } from './chromaCalibration.ts';
import { fetchImage } from './ImageFetch.ts';
import { outlinePng } from './outlinePng.ts';

/** The calibration copies of the picture: small RGBx frames (4 bytes a pixel: no row padding). */
const TAP_W = 160;
const TAP_H = 120;
const TAP_FPS = 10;
/** Kurento docs, Chroma tutorial: "In the first second ... a calibration process is done". */
const CALIBRATION_MS = 1000;
/** alpha `angle`: how far (degrees of chroma) from the key colour is still keyed out. */
const KEY_ANGLE = 20;
/** How often the picture size is read again (the background follows a WebRTC resolution change). */
const SIZE_POLL_MS = 2000;

/**
 * The compositor needs a fixed output rate: decoded RTP video has `framerate=0/1`, for
 * which it picks 25 fps (measured: 30 fps in, 25 out). 30 is what cameras and Fluo's
 * players send; a source sending fewer frames has its last frame repeated.
 */
const OUTPUT_FPS = 30;

type Size = { width: number; height: number };

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
  #dir: string | undefined;
  #images = 0;
  /** The picture size, once read from the caps; the meter once it is known. */
  #size: Size | undefined;
  #sizing = false;
  #meter: ColourMeter | undefined;
  #calibrationStart = 0;
  #key: Rgb | undefined;
  #calibrationDone = false;
  #pollTimer: NodeJS.Timeout | undefined;
  /** The local copy of the background image, undefined for none. */
  #background: string | undefined;
  /** The background given at create: `ready` (so `create`) fails with its error. */
  readonly #initial: Promise<void>;

  constructor(id: string, emit: EmitFn, options: ChromaFilterOptions, engine: NodeEngine) {
    super(id, emit, 'ChromaFilter', engine, 'VIDEO');
    this.#opts = options;
    this.#initial = options.backgroundImage ? this.#setBackground(options.backgroundImage) : Promise.resolve();
    this.#initial.catch(() => undefined);
  }

  protected core(): FilterCore {
    // Built again after an engine process loss: calibrate again, read the size again.
    this.#tap?.close();
    this.#tap = new FrameTap(TAP_W * TAP_H * 4);
    this.#tap.on('frame', (f) => this.#onTapFrame(f));
    this.#size = undefined;
    this.#meter = undefined;
    this.#key = undefined;
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
    if (!this.#size) {
      void this.#readSize(core);
      return;
    }
    if (!this.#meter) {
      const why = outsidePicture(this.#opts.window, this.#size.width, this.#size.height);
      if (why) return this.#endCalibration(core, `ChromaFilter ${this.id}: ${why}: no colour calibrated, the picture passes unchanged`);
      this.#meter = new ColourMeter(TAP_W, TAP_H, this.#opts.window, this.#size);
      this.#calibrationStart = performance.now();
      this.#showSquare(core);
    }
    this.#meter.add(frame);
    if (performance.now() - this.#calibrationStart < CALIBRATION_MS) return;
    const key = this.#meter.mean();
    if (!key) return;
    this.#key = key;
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
    const file = join(this.#folder(), `square-${++this.#images}.png`);
    writeFileSync(file, outlinePng(w.width, w.height, Math.max(1, Math.min(2, Math.floor(Math.min(w.width, w.height) / 4))), { r: 255, g: 255, b: 255 }), { mode: 0o600 });
    void Promise.all([core.setProperty('square', 'offset-x', w.x), core.setProperty('square', 'offset-y', w.y)])
      .then(() => core.setProperty('square', 'location', file))
      .then(() => (this.#calibrationDone ? core.setProperty('square', 'alpha', 0) : undefined))
      .catch(() => undefined);
  }

  /** A private folder for the images the engine reads (background, square). */
  #folder(): string {
    this.#dir ??= mkdtempSync(join(tmpdir(), 'fluo-chroma-'));
    return this.#dir;
  }

  /** The size of the frames going into `key`; then every few seconds, to follow changes. */
  async #readSize(core: EngineBin): Promise<void> {
    if (this.#sizing) return;
    this.#sizing = true;
    try {
      const size = capsSize(await core.getProperty('key', 'caps', 'sink'));
      if (!size || this.closed || core !== this.coreBin) return;
      const changed = size.width !== this.#size?.width || size.height !== this.#size?.height;
      this.#size = size;
      if (changed) await this.#showBackground();
    } catch {
      // The bin went away (closed, engine lost): the next build reads it again.
    } finally {
      this.#sizing = false;
    }
    clearTimeout(this.#pollTimer);
    if (!this.closed && core === this.coreBin) this.#pollTimer = setTimeout(() => void this.#readSize(core), SIZE_POLL_MS);
  }

  async #setBackground(uri: string): Promise<void> {
    // A new name each time: gdkpixbufoverlay loads the file when its location changes.
    const file = join(this.#folder(), `background-${++this.#images}`);
    await fetchImage(uri, file, { destinations: this.#opts.destinations, verifyTls: this.#opts.verifyTls });
    const old = this.#background;
    this.#background = file;
    if (old) rmSync(old, { force: true });
    await this.#showBackground();
  }

  /** The background layer as it should be now (no-op until the core and the picture size are known). */
  async #showBackground(): Promise<void> {
    const core = this.coreBin;
    const size = this.#size;
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
        const old = this.#background;
        this.#background = undefined;
        await this.#showBackground();
        if (old) rmSync(old, { force: true });
        return null;
      },
    };
  }

  protected override async onClose(): Promise<void> {
    clearTimeout(this.#pollTimer);
    await super.onClose();
    this.#tap?.close();
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
  }
}
