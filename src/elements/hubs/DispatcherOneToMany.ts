import { Hub } from './Hub.ts';
import type { ObjectInit, Params } from '../../core/types.ts';

/**
 * KMD `DispatcherOneToMany`: "a Hub that sends a given source to all the connected
 * sinks" (media node: DispatcherOneToManyNode). Switching sources is seamless for the
 * viewers and costs no transcoding.
 */
export class DispatcherOneToMany extends Hub {
  constructor(init: ObjectInit) {
    super(init);
    this.createMedia('DispatcherOneToMany', {});
  }

  async setSource(p: Params): Promise<void> {
    const port = this.ownPort(p.source, 'source');
    await this.mediaCall('setSource', { port: port.id });
  }

  /** "Remove the source port and stop the media pipeline": every port goes silent. */
  async removeSource(_p: Params): Promise<void> {
    await this.mediaCall('setSource', { port: null });
  }
}
