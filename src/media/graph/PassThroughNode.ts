import { MediaNode, type EmitFn } from './MediaNode.ts';

/**
 * The media side of KMD `PassThrough`: every packet its source sends goes on to its
 * sinks unchanged, keyframe requests and bandwidth estimates go back up (all of it
 * MediaNode's default behaviour, which this class names).
 */
export class PassThroughNode extends MediaNode {
  constructor(id: string, emit: EmitFn) {
    super(id, emit, 'PassThrough');
  }
}
