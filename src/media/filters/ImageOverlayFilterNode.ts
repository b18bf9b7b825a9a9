import type { EmitFn, NodeOpHandlers, OpArgs, OverlayFilterOptions } from '../../shared/workerProtocol.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import { FilterNode, type FilterCore } from './FilterNode.ts';
import { FrameSize } from './FrameSize.ts';
import { OverlayImages, type OverlayImage } from './OverlayImages.ts';
import { OverlayPool } from './OverlayPool.ts';
import { imageRect } from './overlayGeometry.ts';

/** How many images can be shown at once (gdkpixbufoverlay elements in the core). */
export const IMAGE_SLOTS = 8;

interface Placed {
  slot: number;
  image: OverlayImage;
  args: OpArgs<'addImage'>;
}

/**
 * KMD `ImageOverlayFilter`: images drawn at fixed places of the picture, several at
 * once, each under the id the application gave (`addImage` with a known id moves or
 * replaces it, `removeImage` takes it away). Each image has a gdkpixbufoverlay of the
 * core's pool; places are fractions of the picture, turned into pixels with the frame
 * size, which is followed while images are shown.
 */
export class ImageOverlayFilterNode extends FilterNode {
  readonly #images: OverlayImages;
  readonly #pool = new OverlayPool('ov', IMAGE_SLOTS);
  readonly #placed = new Map<string, Placed>();
  readonly #size = new FrameSize(() => this.coreBin, 'fin', 'src', () => this.#layoutAll());

  constructor(id: string, emit: EmitFn, options: OverlayFilterOptions, engine: NodeEngine) {
    super(id, emit, 'ImageOverlayFilter', engine, 'VIDEO');
    this.#images = new OverlayImages(`ImageOverlayFilter ${id}`, options);
  }

  protected core(): FilterCore {
    // Built again after an engine process was lost: its elements start blank.
    this.#pool.reset();
    this.#size.forget();
    return { fragment: this.#pool.fragment() };
  }

  protected override operations(): NodeOpHandlers<'ImageOverlayFilter'> {
    return {
      ...super.operations(),
      addImage: async (args) => {
        const image = await this.#images.get(args.uri);
        await this.ready();
        if (this.closed) throw new KurentoError('MEDIA_OBJECT_NOT_FOUND', `ImageOverlayFilter ${this.id} was released`);
        const slot = this.#placed.get(args.id)?.slot ?? this.#freeSlot();
        if (slot === undefined) {
          throw new KurentoError('NOT_ENOUGH_RESOURCES', `ImageOverlayFilter: at most ${IMAGE_SLOTS} images at once (ids: ${[...this.#placed.keys()].join(', ')})`);
        }
        const placed = { slot, image, args };
        this.#placed.set(args.id, placed);
        this.#size.watch(true);
        await this.#layout(placed);
        return null;
      },
      removeImage: async ({ id }) => {
        // Kurento's filter ignores an id it does not have; so do we.
        const placed = this.#placed.get(id);
        if (!placed) return null;
        this.#placed.delete(id);
        if (this.#placed.size === 0) this.#size.watch(false);
        const bin = this.coreBin;
        if (bin?.alive) await this.#pool.hide(bin, placed.slot);
        return null;
      },
    };
  }

  #freeSlot(): number | undefined {
    const used = new Set([...this.#placed.values()].map((p) => p.slot));
    for (let i = 0; i < IMAGE_SLOTS; i++) if (!used.has(i)) return i;
    return undefined;
  }

  /** Shows one image where it belongs, once the frame size is known (until then the size watch will). */
  async #layout(p: Placed): Promise<void> {
    const bin = this.coreBin;
    const frame = this.#size.current;
    if (!bin?.alive || !frame || this.#placed.get(p.args.id) !== p) return;
    await this.#pool.show(bin, p.slot, p.image.path, imageRect(frame, p.args, p.image, p.args.keepAspectRatio, p.args.center));
  }

  #layoutAll(): void {
    for (const p of this.#placed.values()) {
      this.#layout(p).catch((err: unknown) => this.#failed(err));
    }
  }

  #failed(err: unknown): void {
    if (this.closed) return;
    this.emit('Error', { description: `ImageOverlayFilter ${this.id}: ${err instanceof Error ? err.message : String(err)}`, errorCode: 40003, type: 'MEDIA_ENGINE_ERROR' });
  }

  protected override async onClose(): Promise<void> {
    this.#size.watch(false);
    await super.onClose();
    await this.#images.close();
  }
}
