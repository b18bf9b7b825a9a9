import { Hub } from './Hub.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import type { ObjectInit, Params } from '../../core/types.ts';

/**
 * KMD `Dispatcher`: "a Hub that allows routing between arbitrary port pairs" (media
 * node: DispatcherNode). `connect(source, sink)` connects "each corresponding media
 * type"; a sink port has one source, so a new one replaces the old (seamlessly).
 */
export class Dispatcher extends Hub {
  constructor(init: ObjectInit) {
    super(init);
    this.createMedia('Dispatcher', {});
  }

  async connect(p: Params): Promise<void> {
    const source = this.ownPort(p.source, 'source');
    const sink = this.ownPort(p.sink, 'sink');
    if (source === sink) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `HubPort '${source.id}' cannot be connected to itself`);
    await this.mediaCall('routePorts', { source: source.id, sink: sink.id, media: null, connected: true });
  }
}
