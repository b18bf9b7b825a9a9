import { Filter } from './Filter.ts';
import type { ObjectInit, Params } from '../../core/types.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import { overlayOptions, placementOf, uriOf } from './overlayParams.ts';

/**
 * KMD `ImageOverlayFilter`: images the application names by id, drawn at fixed places
 * of the picture (media node: ImageOverlayFilterNode). `addImage` answers once the
 * image is fetched and drawn, or fails saying why (bad URI, unreachable, not an
 * image); the stream flows on either way.
 */
export class ImageOverlayFilter extends Filter {
  constructor(init: ObjectInit, _params: Params) {
    super(init);
    this.createMedia('ImageOverlayFilter', overlayOptions(init.settings));
  }

  async addImage(p: Params): Promise<void> {
    const who = 'ImageOverlayFilter.addImage';
    const placement = placementOf(who, p);
    const id = p.id;
    if (typeof id !== 'string' || id === '') throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `${who}: 'id' must be a non-empty string`);
    await this.mediaCall('addImage', { ...placement, id, uri: uriOf(who, p), keepAspectRatio: p.keepAspectRatio === true, center: p.center === true });
  }

  async removeImage(p: Params): Promise<void> {
    await this.mediaCall('removeImage', { id: String(p.id) });
  }
}
