import type { EmitFn, FormatSet, MediaNode } from '../graph/MediaNode.ts';
import type { MediaPacket } from '../graph/MediaPacket.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import type { NodeOpHandlers } from '../../shared/workerProtocol.ts';
import { KurentoError } from '../../shared/KurentoError.ts';
import { filterFormats } from '../filters/outputFormats.ts';
import type { AvKind } from './HubNode.ts';
import type { HubPortNode } from './HubPortNode.ts';
import { EngineHubNode } from './EngineHubNode.ts';
import { AudioMixes } from './AudioMixes.ts';
import { PortRoute } from './PortRoute.ts';
import { formatFor } from './MixingHubNode.ts';

/**
 * The media half of KMD `Mixer`: "a Hub that allows routing of video between arbitrary
 * port pairs and mixing of audio among several ports". `connect(VIDEO, source, sink)`
 * routes a port's video to another as a Dispatcher does (forwarded, switched at a
 * keyframe, never transcoded: one source per sink); `connect(AUDIO, source, sink)`
 * adds the source to the sink's audio mix (AudioMixes, in the engine), so a sink hears
 * every source connected to it; `disconnect` takes a connection away.
 */
export class MixerNode extends EngineHubNode {
  readonly #routes = new Map<HubPortNode, PortRoute>();
  /** AUDIO connections, as `source id > sink id`. */
  readonly #heard = new Set<string>();
  readonly #audio = new AudioMixes(this, (from, to) => this.#heard.has(`${from.id}>${to.id}`));

  constructor(id: string, emit: EmitFn, engine: NodeEngine) {
    super(id, emit, 'Mixer', engine);
  }

  protected rebuild(): void {
    this.#audio.rebuild();
    for (const port of this.#routes.keys()) this.portOutputsChanged(port);
  }

  protected override portAdded(port: HubPortNode): void {
    this.#routes.set(port, new PortRoute(port));
    this.#audio.add(port);
    this.portOutputsChanged(port);
  }

  protected override portRemoved(port: HubPortNode): void {
    this.#routes.delete(port);
    for (const r of this.#routes.values()) r.drop(port);
    for (const key of [...this.#heard]) if (key.startsWith(`${port.id}>`) || key.endsWith(`>${port.id}`)) this.#heard.delete(key);
    this.#audio.remove(port);
  }

  portInput(port: HubPortNode, kind: AvKind, pkt: MediaPacket): void {
    if (kind === 'AUDIO') return this.#audio.push(port, pkt);
    for (const r of this.#routes.values()) if (r.sink !== port && r.takes(port, kind, pkt)) r.sink.send(kind, pkt);
  }

  override portInputChanged(port: HubPortNode, kind: AvKind, edge: unknown): void {
    if (kind === 'AUDIO' && !edge) this.#audio.inputGone(port);
  }

  override portOutputsChanged(port: HubPortNode): void {
    this.#audio.output(port, formatFor(port, 'AUDIO'));
  }

  portKeyframe(port: HubPortNode, from: MediaNode): void {
    this.#routes.get(port)?.requestKeyframe(from);
  }

  override portBandwidth(port: HubPortNode, from: MediaNode, bps: number): void {
    this.#routes.get(port)?.source('VIDEO')?.reportInputBandwidth(from, bps);
  }

  portProduces(port: HubPortNode, kind: AvKind, seen: Set<MediaNode>): FormatSet {
    if (kind === 'AUDIO') return filterFormats('AUDIO');
    return this.#routes.get(port)?.source('VIDEO')?.inputProduces('VIDEO', seen) ?? [];
  }

  protected override operations(): NodeOpHandlers<'Mixer'> {
    return {
      ...super.operations(),
      routePorts: (a) => {
        const source = this.port(a.source);
        const sink = this.port(a.sink);
        if (source === sink) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', 'A HubPort cannot be its own source');
        for (const kind of a.media ? [a.media] : (['AUDIO', 'VIDEO'] as const)) {
          if (kind === 'AUDIO') {
            const key = `${source.id}>${sink.id}`;
            if (a.connected) this.#heard.add(key);
            else this.#heard.delete(key);
            this.#audio.changed(source, sink);
            continue;
          }
          const route = this.#routes.get(sink)!;
          if (a.connected) route.select('VIDEO', source);
          else if (route.source('VIDEO') === source) route.select('VIDEO', undefined);
        }
        return null;
      },
    };
  }

  protected override async onClose(): Promise<void> {
    await this.drain();
    this.#routes.clear();
    await this.#audio.close();
    await super.onClose();
  }
}
