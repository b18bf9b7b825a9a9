import { MediaElement } from '../core/MediaElement.ts';

/** KMD `Endpoint`: an element at the edge of a pipeline (media enters or leaves here). */
export class Endpoint extends MediaElement {}
