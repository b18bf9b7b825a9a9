import type { EmitFn } from '../graph/MediaNode.ts';
import type { NodeOpHandlers } from '../../shared/workerProtocol.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import type { AvKind } from './HubNode.ts';
import { RoutingHubNode } from './RoutingHubNode.ts';

const BOTH: readonly AvKind[] = ['AUDIO', 'VIDEO'];

/**
 * The media half of KMD `Dispatcher`: "a Hub that allows routing between arbitrary port
 * pairs". `connect(source, sink)` makes the source port's input the sink port's output,
 * for each media type; a sink has one source per type, so connecting another source
 * to it switches it (seamlessly, as a DispatcherOneToMany does), as a MediaElement's
 * sink input takes its newest connection.
 */
export class DispatcherNode extends RoutingHubNode {
  constructor(id: string, emit: EmitFn) {
    super(id, emit, 'Dispatcher');
  }

  protected override operations(): NodeOpHandlers<'Dispatcher'> {
    return {
      ...super.operations(),
      routePorts: (a) => {
        const source = this.port(a.source);
        const route = this.routes.get(this.port(a.sink))!;
        if (route.sink === source) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', 'A HubPort cannot be its own source');
        for (const kind of a.media ? [a.media] : BOTH) {
          if (a.connected) route.select(kind, source);
          else if (route.source(kind) === source) route.select(kind, undefined);
        }
        return null;
      },
    };
  }
}
