import type { EmitFn, MediaKind } from '../../../shared/workerProtocol.ts';
import type { Edge } from '../../graph/Edge.ts';
import type { NodeEngine } from '../../engine/NodeEngine.ts';
import { FilterNode, type FilterCore } from '../FilterNode.ts';
import { MarksCanvas, type Rgba } from '../MarksCanvas.ts';
import { MarksOverlay } from '../MarksOverlay.ts';
import type { Size } from '../FrameSize.ts';
import { KmsDetectFacesNode, type FaceShare } from './KmsDetectFacesNode.ts';

/** The faces' outline: green, 3 px, drawn around each face box. */
const OUTLINE: Rgba = [0, 255, 0, 255];
const THICKNESS = 3;

/**
 * KMD `KmsShowFaces` (datachannelexample module): draws the faces its video comes with
 * (the metadata of a KmsDetectFaces feeding it directly, see KmsDetectFacesNode) as
 * rectangles over the picture; with no such metadata it draws nothing and the video
 * passes unchanged, as in kms-datachannelexample. The outline is a MarksOverlay (a PNG
 * of just the rectangles' bounding box, shown by gdkpixbufoverlay), redrawn only when
 * the faces change.
 */
export class KmsShowFacesNode extends FilterNode {
  readonly #marks = new MarksOverlay();
  #unwatch: (() => void) | undefined;
  #size: Size | undefined;
  #faces: readonly FaceShare[] = [];
  /** The signature of what is drawn now, so a repeated detection draws nothing new. */
  #drawn = '';

  constructor(id: string, emit: EmitFn, engine: NodeEngine) {
    super(id, emit, 'KmsShowFaces', engine, 'VIDEO');
  }

  protected core(): FilterCore {
    this.#size = undefined;
    this.#drawn = '';
    return { fragment: this.#marks.fragment() };
  }

  override inputChanged(kind: MediaKind, edge: Edge | undefined): void {
    super.inputChanged(kind, edge);
    if (kind !== 'VIDEO') return;
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#faces = [];
    this.#draw();
    if (edge?.source instanceof KmsDetectFacesNode) this.#unwatch = edge.source.watchFaces((faces) => this.#onFaces(faces));
  }

  #onFaces(faces: readonly FaceShare[]): void {
    this.#faces = faces;
    if (this.#size) {
      this.#draw();
      return;
    }
    // The picture's size, once: faces come as fractions of it.
    void this.#marks.pictureSize(this.coreBin).then((size) => {
      if (!size || this.closed) return;
      this.#size = size;
      this.#draw();
    }, () => undefined);
  }

  #draw(): void {
    const size = this.#size;
    if (!size || this.closed) return;
    const boxes = this.#faces.map((f) => ({ x: Math.round(f.x * size.width), y: Math.round(f.y * size.height), width: Math.round(f.width * size.width), height: Math.round(f.height * size.height) }));
    const signature = JSON.stringify(boxes);
    if (signature === this.#drawn) return;
    this.#drawn = signature;
    const image = new MarksCanvas(size.width, size.height);
    for (const b of boxes) image.stroke(b.x, b.y, b.width, b.height, OUTLINE, THICKNESS);
    this.#marks.show(this.coreBin, image);
  }

  protected override async onClose(): Promise<void> {
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#marks.close();
    await super.onClose();
  }
}
