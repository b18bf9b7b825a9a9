import { Filter } from '../Filter.ts';
import type { ObjectInit } from '../../../core/types.ts';

/**
 * KMD `KmsDetectFaces` (datachannelexample module): finds faces and hands them to the
 * element it feeds, as metadata (media node: KmsDetectFacesNode).
 */
export class KmsDetectFaces extends Filter {
  constructor(init: ObjectInit) {
    super(init);
    this.createMedia('KmsDetectFaces', {});
  }
}
