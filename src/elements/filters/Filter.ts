import { MediaElement } from '../../core/MediaElement.ts';

/**
 * KMD `Filter`: a MediaElement that processes what it receives (media node: a
 * FilterNode subclass in src/media/filters). Its engine part is built when it is
 * created; `ready()` lets `create` answer only once the engine took it, so a filter
 * the engine refuses is refused at `create` with the reason (issue 12).
 */
export class Filter extends MediaElement {
  async ready(): Promise<void> {
    await this.mediaCall('ready', {});
  }
}
