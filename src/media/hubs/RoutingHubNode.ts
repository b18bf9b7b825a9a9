import type { FormatSet, MediaNode } from '../graph/MediaNode.ts';
import type { MediaPacket } from '../graph/MediaPacket.ts';
import { HubNode, type AvKind } from './HubNode.ts';
import type { HubPortNode } from './HubPortNode.ts';
import { PortRoute } from './PortRoute.ts';

/**
 * A hub that routes without touching the media (KMD DispatcherOneToMany, Dispatcher):
 * each port's output is another port's input, chosen per port and kind by a PortRoute.
 * Packets are forwarded in this worker, never through the engine: no decoding, no
 * transcoding, and the port's rewriter keeps each viewer's stream continuous.
 */
export abstract class RoutingHubNode extends HubNode {
  protected readonly routes = new Map<HubPortNode, PortRoute>();

  protected override portAdded(port: HubPortNode): void {
    this.routes.set(port, new PortRoute(port));
  }

  protected override portRemoved(port: HubPortNode): void {
    this.routes.delete(port);
    for (const r of this.routes.values()) r.drop(port);
  }

  portInput(port: HubPortNode, kind: AvKind, pkt: MediaPacket): void {
    for (const r of this.routes.values()) if (r.sink !== port && r.takes(port, kind, pkt)) r.sink.send(kind, pkt);
  }

  portKeyframe(port: HubPortNode, from: MediaNode): void {
    this.routes.get(port)?.requestKeyframe(from);
  }

  /** A viewer's estimate goes to the source it watches (the source's endpoint keeps the lowest per sink). */
  override portBandwidth(port: HubPortNode, from: MediaNode, bps: number): void {
    this.routes.get(port)?.source('VIDEO')?.reportInputBandwidth(from, bps);
  }

  portProduces(port: HubPortNode, kind: AvKind, seen: Set<MediaNode>): FormatSet {
    return this.routes.get(port)?.source(kind)?.inputProduces(kind, seen) ?? [];
  }

  protected override onClose(): void | Promise<void> {
    this.routes.clear();
    return super.onClose();
  }
}
