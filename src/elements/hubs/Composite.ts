import { Hub } from './Hub.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import type { ObjectInit, Params } from '../../core/types.ts';

/** Bounds of the mixed picture: what one vp8enc/x264enc thread keeps up with, and at least one pixel pair. */
const MAX_SIDE = 1920;
const MAX_FRAMERATE = 60;

/**
 * KMD `Composite` (`width`, `height`, `framerate`, defaults 800x600 at 15 fps as in
 * 7.x): every port's video in one grid, the audio of all ports mixed, each port's mix
 * leaving out its own input (media node: CompositeNode, in the pipeline's engine).
 */
export class Composite extends Hub {
  constructor(init: ObjectInit, params: Params) {
    super(init);
    const width = params.width as number;
    const height = params.height as number;
    const framerate = params.framerate as number;
    for (const [name, value, max] of [['width', width, MAX_SIDE], ['height', height, MAX_SIDE], ['framerate', framerate, MAX_FRAMERATE]] as const) {
      if (value < 2 || value > max) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `Composite ${name} ${value} is out of range (2 to ${max})`);
    }
    // I420 needs even sizes: an odd one is rounded down rather than refused.
    this.createMedia('Composite', { width: width & ~1, height: height & ~1, framerate });
  }
}
