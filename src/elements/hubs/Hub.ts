import { MediaObject } from '../../core/MediaObject.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import { renderDot } from '../../core/renderDot.ts';
import type { Params } from '../../core/types.ts';
import { HubPort } from './HubPort.ts';

/**
 * KMD `Hub`: "a routing MediaObject; it connects several endpoints together" through
 * its HubPorts, which are its children (KMS builds a HubPort with its hub as parent,
 * so releasing the hub releases its ports). Its media node lives in the pipeline's
 * worker beside its ports' nodes (src/media/hubs); each hub creates it in its constructor.
 */
export class Hub extends MediaObject {
  /**
   * A HubPort parameter, checked to be one of this hub's: a port of another hub (or of
   * another pipeline) is refused with a clear error and nothing is changed.
   */
  protected ownPort(value: unknown, name: string): HubPort {
    if (!(value instanceof HubPort)) throw new KurentoError('MARSHALL_ERROR', `'${name}' parameter should be a HubPort`);
    value.assertAlive();
    if (value.parent !== this) {
      const other = value.parent?.pipeline === this.pipeline ? 'another hub' : 'a hub of another pipeline';
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `HubPort '${value.id}' belongs to ${other} ('${value.parent?.id ?? '?'}'), not to ${this.typeName} '${this.id}'`);
    }
    return value;
  }

  /** The ports of this hub, in creation order. */
  get ports(): HubPort[] {
    return this.children.filter((c): c is HubPort => c instanceof HubPort);
  }

  /** KMD Hub.getGstreamerDot: the hub's ports and their connections. */
  getGstreamerDot(_p: Params): string {
    return renderDot(this);
  }

  dumpGstreamerDot(p: Params): Promise<void> {
    return this.dumpDot(() => this.getGstreamerDot(p));
  }
}
