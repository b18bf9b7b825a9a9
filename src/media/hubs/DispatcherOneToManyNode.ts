import type { EmitFn } from '../graph/MediaNode.ts';
import type { NodeOpHandlers } from '../../shared/workerProtocol.ts';
import type { HubPortNode } from './HubPortNode.ts';
import { RoutingHubNode } from './RoutingHubNode.ts';

/**
 * The media half of KMD `DispatcherOneToMany`: "a Hub that sends a given source to all
 * the connected sinks". `setSource(port)` makes that port's media every other port's
 * output (the source does not receive itself); `removeSource` leaves every port
 * silent. A switch is seamless for the viewers (PortRoute, HubPortNode).
 */
export class DispatcherOneToManyNode extends RoutingHubNode {
  #source: HubPortNode | undefined;

  constructor(id: string, emit: EmitFn) {
    super(id, emit, 'DispatcherOneToMany');
  }

  #setSource(source: HubPortNode | undefined): void {
    this.#source = source;
    for (const r of this.routes.values()) {
      const from = r.sink === source ? undefined : source;
      r.select('AUDIO', from);
      r.select('VIDEO', from);
    }
  }

  protected override portAdded(port: HubPortNode): void {
    super.portAdded(port);
    if (this.#source) {
      const r = this.routes.get(port)!;
      r.select('AUDIO', this.#source);
      r.select('VIDEO', this.#source);
    }
  }

  protected override portRemoved(port: HubPortNode): void {
    super.portRemoved(port);
    if (port === this.#source) this.#source = undefined;
  }

  protected override operations(): NodeOpHandlers<'DispatcherOneToMany'> {
    return {
      ...super.operations(),
      setSource: (a) => {
        this.#setSource(a.port === null ? undefined : this.port(a.port));
        return null;
      },
    };
  }
}
