import { Filter } from '../Filter.ts';
import type { ObjectInit } from '../../../core/types.ts';

/**
 * KMD `KmsSendData` (datachannelexample module; a MediaElement there): sends each QR or bar
 * code seen in the video on its DATA output (media node: KmsSendDataNode). Its engine
 * part is built at `create` as a filter's is.
 */
export class KmsSendData extends Filter {
  constructor(init: ObjectInit) {
    super(init);
    this.createMedia('KmsSendData', {});
  }
}
