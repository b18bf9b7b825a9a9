import { Filter } from './Filter.ts';
import type { ObjectInit, Params } from '../../core/types.ts';
import { KurentoError } from '../../shared/KurentoError.ts';

/**
 * KMD `PlateDetectorFilter` (module platedetector): raises `PlateDetected {plate}` for the
 * licence plates it reads in the picture (media node: PlateDetectorFilterNode, OCR by
 * tesseract). Kurento's docs call the module "a prototype": so is this one, an
 * edge-and-OCR reader without a trained model (src/media/filters/vision/README.md).
 */
export class PlateDetectorFilter extends Filter {
  constructor(init: ObjectInit, _params: Params) {
    super(init);
    this.createMedia('PlateDetectorFilter', {});
  }

  /**
   * The average plate width as a share of the picture's width. The KMD documents the
   * range as [0..1]; a plate of width 0 cannot be looked for, so 0 is refused too, as is
   * anything not finite, with the range in words (Kurento's module took any float).
   */
  async setPlateWidthPercentage(p: Params): Promise<void> {
    const value = p.plateWidthPercentage;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 1) {
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `PlateDetectorFilter.setPlateWidthPercentage: plateWidthPercentage must be a share of the picture's width in (0, 1] (0.3 is a plate across 30% of it), got ${String(value)}`);
    }
    await this.mediaCall('setPlateWidthPercentage', { plateWidthPercentage: value });
  }
}
