import { KurentoError } from '../../shared/KurentoError.ts';
import { MediaNode, type EmitFn, type FormatSet } from '../graph/MediaNode.ts';
import type { Edge } from '../graph/Edge.ts';
import type { MediaPacket } from '../graph/MediaPacket.ts';
import type { NodeKind } from '../../shared/workerProtocol.ts';
import type { HubPortNode } from './HubPortNode.ts';

export type AvKind = 'AUDIO' | 'VIDEO';

/**
 * The media half of KMD `Hub` ("a routing MediaObject; it connects several endpoints
 * together"). The hub node has no edges of its own: its HubPortNodes are the graph
 * nodes that endpoints connect to, and each hands what it receives to its hub, which
 * decides which ports send it on (routing hubs) or what the engine mixes (mixing hubs).
 */
export abstract class HubNode extends MediaNode {
  protected readonly ports = new Set<HubPortNode>();

  constructor(id: string, emit: EmitFn, kind: NodeKind) {
    super(id, emit, kind);
  }

  /** A port of this hub, by object id; the control plane checked it is ours, this is the media plane's own guard. */
  protected port(id: string): HubPortNode {
    for (const p of this.ports) if (p.id === id) return p;
    throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `HubPort '${id}' is not a port of ${this.kind} '${this.id}'`);
  }

  addPort(port: HubPortNode): void {
    this.ports.add(port);
    this.portAdded(port);
  }

  removePort(port: HubPortNode): void {
    if (this.ports.delete(port)) this.portRemoved(port);
  }

  protected portAdded(_port: HubPortNode): void {}
  protected portRemoved(_port: HubPortNode): void {}

  /** A packet `port` received from its source. */
  abstract portInput(port: HubPortNode, kind: AvKind, pkt: MediaPacket): void;

  /** A sink of `port` asks for a keyframe of what `port` sends. */
  abstract portKeyframe(port: HubPortNode, from: MediaNode): void;

  /** A sink of `port` reports the bitrate it takes (REMB). Default: nobody upstream is told. */
  portBandwidth(_port: HubPortNode, _from: MediaNode, _bps: number): void {}

  /** What `port` may send on `kind`. */
  abstract portProduces(port: HubPortNode, kind: AvKind, seen: Set<MediaNode>): FormatSet;

  /** What `port` takes on `kind`. Default: anything (routing hubs forward what comes). */
  portAccepts(_port: HubPortNode, _kind: AvKind): FormatSet {
    return 'any';
  }

  /** `port`'s input of `kind` got another source (`edge`) or lost it. */
  portInputChanged(_port: HubPortNode, _kind: AvKind, _edge: Edge | undefined): void {}

  /** A sink of `port` came, went, or negotiated other formats. */
  portOutputsChanged(_port: HubPortNode): void {}

  // A hub node is never an edge's end: nothing reaches these.
  override deliver(): void {}
  override requestKeyframe(): void {}

  protected override onClose(): void | Promise<void> {
    this.ports.clear();
  }
}
