import type { EmitFn, NodeOpHandlers, OverlayFilterOptions, OverlayPlacement } from '../../shared/workerProtocol.ts';
import type { EngineEvent } from '../../engine/protocol.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import { FilterNode, type FilterCore } from './FilterNode.ts';
import { FrameSize } from './FrameSize.ts';
import { OverlayImages, type OverlayImage } from './OverlayImages.ts';
import { OverlayPool } from './OverlayPool.ts';
import { faceRect, type FaceBox } from './overlayGeometry.ts';
import { DETECT_H, DETECT_W, faceDetectionBranch, facesOf } from './faceDetection.ts';

/** How many faces get the image at once (the largest ones first). */
export const FACE_SLOTS = 6;

/**
 * KMD `FaceOverlayFilter`: finds faces and draws the image set by `setOverlayedImage`
 * over each, placed and sized in units of the face box (Kurento's Magic Mirror puts a
 * hat above the head with -0.35, -1.2, 1.6, 1.6). Detection runs on a side branch of
 * the core's input (faceDetectionBranch), behind a valve that stays shut while no
 * image is set, so an idle filter costs no detection. Each `facedetect`
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
    return { fragment: this.#pool.fragment(), inputBranch: faceDetectionBranch({ name: 'fdv', shut: !this.#image }) };
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
