import { Filter } from './Filter.ts';
import type { ObjectInit, Params } from '../../core/types.ts';
import { overlayOptions, placementOf, uriOf } from './overlayParams.ts';

/**
 * KMD `FaceOverlayFilter`: an image drawn over every face found (media node:
 * FaceOverlayFilterNode), as in Kurento's Magic Mirror tutorial. `setOverlayedImage`
 * answers once the image is fetched, or fails saying why; the stream flows on.
 */
export class FaceOverlayFilter extends Filter {
  constructor(init: ObjectInit, _params: Params) {
    super(init);
    this.createMedia('FaceOverlayFilter', overlayOptions(init.settings));
  }

  async setOverlayedImage(p: Params): Promise<void> {
    const who = 'FaceOverlayFilter.setOverlayedImage';
    await this.mediaCall('setOverlayedImage', { ...placementOf(who, p), uri: uriOf(who, p) });
  }

  async unsetOverlayedImage(_p: Params): Promise<void> {
    await this.mediaCall('unsetOverlayedImage', {});
  }
}
