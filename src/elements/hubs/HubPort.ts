import { MediaElement } from '../../core/MediaElement.ts';
import type { ObjectInit, Params } from '../../core/types.ts';
import type { MediaObject } from '../../core/MediaObject.ts';

/**
 * KMD `HubPort`: "a MediaElement that specifies a connection with a Hub". Created with
 * `create('HubPort', {hub})` (kurento-client's `hub.createHubPort()` does the same);
 * its parent is its hub, media goes in and out through ordinary `connect` (media node:
 * HubPortNode, which hands what it receives to the hub's node).
 */
export class HubPort extends MediaElement {
  constructor(init: ObjectInit, params: Params) {
    super(init);
    const hub = params.hub as MediaObject;
    hub.assertAlive();
    this.createMedia('HubPort', { hub: hub.id });
  }
}
