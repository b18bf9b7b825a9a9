import { Filter } from '../Filter.ts';
import type { ObjectInit } from '../../../core/types.ts';

/**
 * KMD `KmsShowData` (datachannelexample module; a MediaElement there): draws the last text
 * its DATA input received on the video (media node: KmsShowDataNode). Its engine part is
 * built at `create` as a filter's is.
 */
export class KmsShowData extends Filter {
  constructor(init: ObjectInit) {
    super(init);
    this.createMedia('KmsShowData', {});
  }
}
