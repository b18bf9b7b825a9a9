import { Filter } from './Filter.ts';
import type { ObjectInit } from '../../core/types.ts';

/**
 * KMD `ZBarFilter`: detects QR and bar codes in the video and raises `CodeFound`
 * (media node: ZBarFilterNode, which scans a 10 fps side branch with zbar and raises
 * a code once while it stays in view). The video passes through unchanged.
 */
export class ZBarFilter extends Filter {
  constructor(init: ObjectInit) {
    super(init);
    this.createMedia('ZBarFilter', {});
  }
}
