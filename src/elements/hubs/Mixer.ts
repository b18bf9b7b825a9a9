import { Hub } from './Hub.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import type { ObjectInit, Params } from '../../core/types.ts';

/**
 * KMD `Mixer`: "routing of video between arbitrary port pairs and mixing of audio among
 * several ports". `connect(media, source, sink)` / `disconnect(media, source, sink)`
 * per media type (AUDIO, VIDEO; DATA is not carried by hubs); media node: MixerNode.
 */
export class Mixer extends Hub {
  constructor(init: ObjectInit) {
    super(init);
    this.createMedia('Mixer', {});
  }

  connect(p: Params): Promise<void> {
    return this.#route(p, true);
  }

  disconnect(p: Params): Promise<void> {
    return this.#route(p, false);
  }

  async #route(p: Params, connected: boolean): Promise<void> {
    const source = this.ownPort(p.source, 'source');
    const sink = this.ownPort(p.sink, 'sink');
    if (source === sink) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `HubPort '${source.id}' cannot be connected to itself`);
    const media = p.media;
    if (media !== 'AUDIO' && media !== 'VIDEO') throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `Mixer routes AUDIO and VIDEO, not ${String(media)}`);
    await this.mediaCall('routePorts', { source: source.id, sink: sink.id, media, connected });
  }
}
