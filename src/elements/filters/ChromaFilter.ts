import { Filter } from './Filter.ts';
import type { ObjectInit, Params } from '../../core/types.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import { overlayOptions, uriOf } from './overlayParams.ts';
/** Larger than any picture Fluo encodes: a window beyond it is a client's mistake. */
const MAX_PIXELS = 16384;

/**
 * KMD `ChromaFilter` (module chroma): replaces a colour of the picture by a background
 * image. During the first second the colour inside `window` is measured (Kurento docs,
 * Chroma tutorial), then that colour is keyed out (media node: ChromaFilterNode).
 * `window` is a WindowParam in pixels whose `topRightCornerX/Y` are, as in Kurento,
 * its top-left corner ("X coordinate of the left upper point of the window").
 * A window that does not fit the picture can only be seen once frames arrive: the node
 * then raises an Error event and lets the picture through unchanged.
 */
export class ChromaFilter extends Filter {
  constructor(init: ObjectInit, params: Params) {
    super(init);
    const w = params.window as Record<string, unknown>;
    const window = {
      x: windowInt(w.topRightCornerX, 'topRightCornerX', 0),
      y: windowInt(w.topRightCornerY, 'topRightCornerY', 0),
      width: windowInt(w.width, 'width', 1),
      height: windowInt(w.height, 'height', 1),
    };
    // The image URI is checked where it is fetched (the node's OverlayImages, as the overlay filters'): a bad one fails the create.
    const image = String(params.backgroundImage ?? '');
    this.createMedia('ChromaFilter', { ...overlayOptions(init.settings), window, backgroundImage: image || null });
  }

  async setBackground(p: Params): Promise<void> {
    await this.mediaCall('setBackground', { uri: uriOf('ChromaFilter', p) });
  }

  async unsetBackground(_p: Params): Promise<void> {
    await this.mediaCall('unsetBackground', {});
  }
}

/** The Marshaller made it an int; here it must also be a pixel position or size. */
function windowInt(v: unknown, name: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > MAX_PIXELS) {
    throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `'window.${name}' must be an integer from ${min} to ${MAX_PIXELS} (pixels), not ${JSON.stringify(v)}`);
  }
  return v;
}
