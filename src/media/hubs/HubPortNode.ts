import { MediaNode, type EmitFn, type FormatSet } from '../graph/MediaNode.ts';
import type { Edge } from '../graph/Edge.ts';
import type { MediaPacket } from '../graph/MediaPacket.ts';
import type { MediaKind } from '../../shared/workerProtocol.ts';
import { FlowMonitor } from '../graph/FlowMonitor.ts';
import { StreamRewriter } from '../rtpEndpoint/StreamRewriter.ts';
import type { AvKind, HubNode } from './HubNode.ts';

/**
 * The media half of KMD `HubPort` ("a MediaElement that specifies a connection with a
 * Hub"): endpoints connect to it as to any element; what it receives goes to its hub,
 * and what the hub gives it goes to its sinks as one continuous stream per kind (its
 * own SSRC, sequence numbers and timestamps, RFC 3550 §8.2), whichever source or
 * mixer the hub takes it from, so that a viewer's decoder never sees a new stream
 * when the hub switches (Kurento's DispatcherOneToMany is used for exactly that).
 */
export class HubPortNode extends MediaNode {
  readonly hub: HubNode;
  readonly #flow: FlowMonitor;
  readonly #rewriters: Partial<Record<AvKind, StreamRewriter>> = {};

  constructor(id: string, emit: EmitFn, hub: HubNode) {
    super(id, emit, 'HubPort');
    this.hub = hub;
    this.#flow = FlowMonitor.reporting(emit);
    hub.addPort(this);
  }

  override accepts(kind: AvKind): FormatSet {
    return this.hub.portAccepts(this, kind);
  }

  override produces(kind: AvKind, seen: Set<MediaNode> = new Set()): FormatSet {
    if (seen.has(this)) return [];
    seen.add(this);
    return this.hub.portProduces(this, kind, seen);
  }

  /** What this port's own source produces (the hub asks when this port is a source). */
  inputProduces(kind: AvKind, seen: Set<MediaNode>): FormatSet {
    return this.input(kind)?.source.produces(kind, seen) ?? [];
  }

  override deliver(kind: AvKind, pkt: MediaPacket): void {
    this.#flow.packet('in', kind);
    this.hub.portInput(this, kind, pkt);
  }

  /** Sends a packet the hub chose for this port's sinks, rewritten into this port's stream. */
  send(kind: AvKind, pkt: MediaPacket): void {
    if (this.outputs[kind].length === 0) return;
    const buf = Buffer.from(pkt.buf);
    const rewriter = (this.#rewriters[kind] ??= new StreamRewriter(randomSsrc(), pkt.codec.clockRate));
    rewriter.rewrite(buf, buf[1]! & 0x7f);
    this.#flow.packet('out', kind);
    this.forward(kind, { codec: pkt.codec, buf, at: pkt.at });
  }

  /** The hub switched this port's `kind` to another source: the next packet continues the stream. */
  switched(kind: AvKind): void {
    this.#rewriters[kind]?.restart();
  }

  /** Asks this port's own source for a keyframe (for the hub, when this port becomes a source). */
  requestInputKeyframe(from: MediaNode): void {
    this.input('VIDEO')?.requestKeyframe(from);
  }

  override requestKeyframe(from: MediaNode): void {
    this.hub.portKeyframe(this, from);
  }

  override reportBandwidth(from: MediaNode, bps: number): void {
    this.hub.portBandwidth(this, from, bps);
  }

  /** Asks this port's own source to keep within `bps`. */
  reportInputBandwidth(from: MediaNode, bps: number): void {
    this.input('VIDEO')?.reportBandwidth(from, bps);
  }

  override inputChanged(kind: MediaKind, edge: Edge | undefined): void {
    if (kind !== 'DATA') this.hub.portInputChanged(this, kind, edge);
  }

  override outputAdded(edge: Edge): void {
    super.outputAdded(edge);
    this.hub.portOutputsChanged(this);
  }

  override outputRemoved(): void {
    this.hub.portOutputsChanged(this);
  }

  override outputChanged(): void {
    this.hub.portOutputsChanged(this);
  }

  /** One source's end of stream does not end what the hub sends on from others. */
  override endOfStream(): void {}

  protected override onClose(): void {
    this.#flow.close();
    this.hub.removePort(this);
  }
}

function randomSsrc(): number {
  return (Math.random() * 0xffffffff) >>> 0 || 1;
}
