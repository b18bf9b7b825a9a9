import type { EmitFn } from '../../../shared/workerProtocol.ts';
import type { EngineEvent } from '../../../engine/protocol.ts';
import type { NodeEngine } from '../../engine/NodeEngine.ts';
import { FilterNode, type FilterCore } from '../FilterNode.ts';
import { DETECT_H, DETECT_W, faceDetectionBranch, facesOf } from '../faceDetection.ts';
import type { FaceBox } from '../overlayGeometry.ts';

/** Faces as fractions of the picture (0..1), so each reader scales them to its own picture size. */
export type FaceShare = FaceBox;

/**
 * KMD `KmsDetectFaces` (datachannelexample module): finds the faces in the video and
 * hands them, as metadata, to the element it feeds; the picture passes unchanged. In
 * kms-datachannelexample the faces ride in the buffers' metadata to the next element,
 * where KmsShowFaces draws them (the seeds' Metadata tutorial, 004 L4887-5240:
 * `WebRtc → KmsDetectFaces → KmsShowFaces → WebRtc`). Here the video between two
 * filters is raw frames in one engine pipeline, and the faces go beside it: the
 * detector tells the sinks it feeds directly (`watchFaces`), as buffer metadata reaches
 * only the next element. Detection: the face filters' side branch (faceDetectionBranch),
 * 10 times a second on a 320x240 copy.
 */
export class KmsDetectFacesNode extends FilterNode {
  readonly #watchers = new Set<(faces: readonly FaceShare[]) => void>();

  constructor(id: string, emit: EmitFn, engine: NodeEngine) {
    super(id, emit, 'KmsDetectFaces', engine, 'VIDEO');
  }

  protected core(): FilterCore {
    return { fragment: 'identity', inputBranch: faceDetectionBranch() };
  }

  /** Calls `fn` with every detection (an empty list when no face is in view); the returned function stops it. */
  watchFaces(fn: (faces: readonly FaceShare[]) => void): () => void {
    this.#watchers.add(fn);
    return () => this.#watchers.delete(fn);
  }

  protected override onCoreEvent(e: EngineEvent): void {
    if (e.type !== 'element' || e.structure.name !== 'facedetect') return;
    const faces = facesOf(e.structure.fields.faces).map((f) => ({ x: f.x / DETECT_W, y: f.y / DETECT_H, width: f.width / DETECT_W, height: f.height / DETECT_H }));
    for (const fn of this.#watchers) fn(faces);
  }

  protected override async onClose(): Promise<void> {
    this.#watchers.clear();
    await super.onClose();
  }
}
