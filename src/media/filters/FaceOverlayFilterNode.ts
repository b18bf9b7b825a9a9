import type { EmitFn, NodeOpHandlers, OverlayFilterOptions, OverlayPlacement } from '../../shared/workerProtocol.ts';
import type { EngineEvent, Json } from '../../engine/protocol.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import { FilterNode, type FilterCore } from './FilterNode.ts';
import { FrameSize } from './FrameSize.ts';
import { OverlayImages, type OverlayImage } from './OverlayImages.ts';
import { OverlayPool } from './OverlayPool.ts';
import { faceRect, type FaceBox } from './overlayGeometry.ts';

/** How many faces get the image at once (the largest ones first). */
export const FACE_SLOTS = 6;
/** The detection picture (media-probe-notes §4: LBP at 10 fps on 320x240 costs a fifth of a core). */
const DETECT_W = 320;
const DETECT_H = 240;
const DETECT_FPS = 10;
/** OpenCV's LBP frontal-face cascade (Debian opencv-data): about a third cheaper than the default Haar one. */
export const FACE_CASCADE = '/usr/share/opencv4/lbpcascades/lbpcascade_frontalface_improved.xml';

/**
 * KMD `FaceOverlayFilter`: finds faces and draws the image set by `setOverlayedImage`
 * over each, placed and sized in units of the face box (Kurento's Magic Mirror puts a
 * hat above the head with -0.35, -1.2, 1.6, 1.6). Detection runs on a side branch of
 * the core's input, rate-limited and scaled down (media-probe-notes §4, §6: inline
 * detection on every full frame costs more than a core), behind a valve that stays
 * shut while no image is set, so an idle filter costs no detection. Each `facedetect`
 * message moves the overlays of the pool to the faces it lists; no face hides them all.
 * Kurento 7's FaceOverlayFilter raises no event of its own, nor does this one.
 */
export class FaceOverlayFilterNode extends FilterNode {
  readonly #images: OverlayImages;
  readonly #pool = new OverlayPool('fo', FACE_SLOTS);
  readonly #size = new FrameSize(() => this.coreBin, 'fin', 'src', () => this.#place());
  #image: { image: OverlayImage; placement: OverlayPlacement } | undefined;
  /** The latest faces reported, and whether they are being applied (only the newest waits). */
  #faces: FaceBox[] = [];
  #placing = false;
  #again = false;

  constructor(id: string, emit: EmitFn, options: OverlayFilterOptions, engine: NodeEngine) {
    super(id, emit, 'FaceOverlayFilter', engine, 'VIDEO');
    this.#images = new OverlayImages(`FaceOverlayFilter ${id}`, options);
  }

  protected core(): FilterCore {
    this.#pool.reset();
    this.#size.forget();
    const open = this.#image ? 'false' : 'true';
    return {
      fragment: this.#pool.fragment(),
      // videorate before the valve: a valve opened after a long pause would make a
      // videorate behind it fill the gap with copies (media-probe-notes §12.2: the rate
      // is set by caps, since decoded RTP says framerate 0/1).
      inputBranch: `queue max-size-buffers=1 max-size-bytes=0 max-size-time=0 leaky=downstream ! videorate ! video/x-raw,framerate=${DETECT_FPS}/1 ! valve name=fdv drop=${open}` +
        ` ! videoscale add-borders=false ! video/x-raw,width=${DETECT_W},height=${DETECT_H} ! videoconvert ! facedetect name=fd profile=${FACE_CASCADE} display=false ! fakesink sync=false async=false`,
    };
  }

  protected override operations(): NodeOpHandlers<'FaceOverlayFilter'> {
    return {
      ...super.operations(),
      setOverlayedImage: async ({ uri, ...placement }) => {
        const image = await this.#images.get(uri);
        const bin = await this.ready();
        if (this.closed) throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `FaceOverlayFilter ${this.id} was released`);
        this.#image = { image, placement };
        this.#size.watch(true);
        await bin.setProperty('fdv', 'drop', false);
        this.#place();
        return null;
      },
      unsetOverlayedImage: async () => {
        this.#image = undefined;
        this.#faces = [];
        this.#size.watch(false);
        const bin = this.coreBin;
        if (bin?.alive) {
          await bin.setProperty('fdv', 'drop', true);
          await this.#pool.hideAll(bin);
        }
        return null;
      },
    };
  }

  protected override onCoreEvent(e: EngineEvent): void {
    if (e.type !== 'element' || e.structure.name !== 'facedetect') return;
    this.#faces = facesOf(e.structure.fields.faces);
    this.#place();
  }

  /** Moves the overlays to the latest faces; while a move is under way, the next waits (and only the newest). */
  #place(): void {
    if (this.#placing) {
      this.#again = true;
      return;
    }
    const bin = this.coreBin;
    const frame = this.#size.current;
    const set = this.#image;
    if (!bin?.alive || !frame || !set || this.closed) return;
    this.#placing = true;
    const scale = { x: frame.width / DETECT_W, y: frame.height / DETECT_H };
    const faces = [...this.#faces].sort((a, b) => b.width * b.height - a.width * a.height);
    const moves = Array.from({ length: FACE_SLOTS }, (_, i) => {
      const face = faces[i];
      return face ? this.#pool.show(bin, i, set.image.path, faceRect(face, scale, set.placement)) : this.#pool.hide(bin, i);
    });
    Promise.all(moves).catch((err: unknown) => {
      if (!this.closed && bin.alive) this.emit('Error', { description: `FaceOverlayFilter ${this.id}: ${err instanceof Error ? err.message : String(err)}`, errorCode: 40003, type: 'MEDIA_ENGINE_ERROR' });
    }).finally(() => {
      this.#placing = false;
      if (this.#again) {
        this.#again = false;
        this.#place();
      }
    });
  }

  protected override async onClose(): Promise<void> {
    this.#size.watch(false);
    this.#image = undefined;
    await super.onClose();
    await this.#images.close();
  }
}

/** The `faces` field of a facedetect message: a list of face structures (x, y, width, height in the detection picture). */
function facesOf(v: Json | undefined): FaceBox[] {
  if (!Array.isArray(v)) return [];
  const out: FaceBox[] = [];
  for (const f of v) {
    if (!f || typeof f !== 'object' || Array.isArray(f)) continue;
    // A nested GstStructure may come as { name, fields } or flattened.
    const o = f.fields && typeof f.fields === 'object' && !Array.isArray(f.fields) ? f.fields : f;
    const [x, y, width, height] = [o.x, o.y, o.width, o.height].map(Number);
    if ([x, y, width, height].every((n) => Number.isFinite(n)) && width! > 0 && height! > 0) out.push({ x: x!, y: y!, width: width!, height: height! });
  }
  return out;
}
