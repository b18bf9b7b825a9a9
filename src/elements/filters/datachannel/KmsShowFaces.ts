import { Filter } from '../Filter.ts';
import type { ObjectInit } from '../../../core/types.ts';

/**
 * KMD `KmsShowFaces` (datachannelexample module): draws the faces a KmsDetectFaces
 * feeding it found (media node: KmsShowFacesNode).
 */
export class KmsShowFaces extends Filter {
  constructor(init: ObjectInit) {
    super(init);
    this.createMedia('KmsShowFaces', {});
  }
}
