import { UriEndpoint } from './UriEndpoint.ts';
import type { ObjectInit, Params } from '../core/types.ts';

/**
 * KMD `PlayerEndpoint`. The element exists in the graph with its URI and state;
 * playing (`play`, `pause`, `stop`, `setPosition`) belongs to the media engine and
 * answers NOT_IMPLEMENTED until that lands.
 */
export class PlayerEndpoint extends UriEndpoint {
  constructor(init: ObjectInit, params: Params) {
    super(init, params, ['file', 'http', 'https', 'rtsp', 'rtsps']);
  }
}
