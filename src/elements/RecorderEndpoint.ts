import { UriEndpoint } from './UriEndpoint.ts';
import type { ObjectInit, Params } from '../core/types.ts';

/**
 * KMD `RecorderEndpoint`. The element exists in the graph with its URI, profile and
 * state; recording (`record`, `stopAndWait`, ...) belongs to the media engine and
 * answers NOT_IMPLEMENTED until that lands.
 */
export class RecorderEndpoint extends UriEndpoint {
  constructor(init: ObjectInit, params: Params) {
    super(init, params, ['file', 'http', 'https']);
  }
}
