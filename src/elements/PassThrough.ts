import { MediaElement } from '../core/MediaElement.ts';
import type { ObjectInit } from '../core/types.ts';

/**
 * KMD `PassThrough`: forwards what its source sends to all its sinks, unchanged, and
 * passes keyframe requests and bandwidth estimates back up (media node: PassThroughNode).
 */
export class PassThrough extends MediaElement {
  constructor(init: ObjectInit) {
    super(init);
    this.createMedia('PassThrough', {});
  }
}
