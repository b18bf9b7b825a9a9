import type { EmitFn } from '../graph/MediaNode.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import type { NodeOptions } from '../../shared/workerProtocol.ts';
import type { HubPortNode } from './HubPortNode.ts';
import { MixingHubNode, type Placement } from './MixingHubNode.ts';
import { gridLayout } from './gridLayout.ts';

/**
 * The media half of KMD `Composite`: "a Hub that mixes the AUDIO stream of its
 * connected sources and constructs a grid with the VIDEO streams of its connected
 * sources into its sink". The grid (gridLayout) holds the ports that send video, in
 * their order, and is laid again whenever one starts or stops sending.
 */
export class CompositeNode extends MixingHubNode {
  constructor(id: string, emit: EmitFn, options: NodeOptions<'Composite'>, engine: NodeEngine) {
    super(id, emit, 'Composite', options, engine);
  }

  protected place(ports: readonly HubPortNode[]): Map<HubPortNode, Placement> {
    const cells = gridLayout(ports.length, this.settings.width, this.settings.height);
    return new Map(ports.map((p, i) => [p, { ...cells[i]!, zorder: 1, alpha: 1 }]));
  }
}
