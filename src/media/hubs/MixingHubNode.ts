import type { EmitFn, FormatSet, MediaNode } from '../graph/MediaNode.ts';
import type { MediaPacket, RtpCodecInfo } from '../graph/MediaPacket.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import type { EngineBin } from '../engine/EngineBin.ts';
import type { NodeKind } from '../../shared/workerProtocol.ts';
import { FilterInput } from '../filters/FilterInput.ts';
import { FilterOutput } from '../filters/FilterOutput.ts';
import { chooseOutputFormat, filterFormats } from '../filters/outputFormats.ts';
import { formatKey } from '../transcode/formats.ts';
import type { AvKind } from './HubNode.ts';
import type { HubPortNode } from './HubPortNode.ts';
import type { Cell } from './gridLayout.ts';
import { EngineHubNode } from './EngineHubNode.ts';
import { AudioMixes } from './AudioMixes.ts';
import { VIDEO_INPUT_TAIL, videoMixerDescription } from './mixDescriptions.ts';

/** The mixed picture's size and rate. */
export interface MixSettings {
  readonly width: number;
  readonly height: number;
  readonly framerate: number;
}

/** Where a port's picture goes in the mixed one; `zorder` higher on top, `alpha` 0 hides it. */
export interface Placement extends Cell {
  readonly zorder: number;
  readonly alpha: number;
}

const HIDDEN: Placement = { xpos: 0, ypos: 0, width: 2, height: 2, zorder: 0, alpha: 0 };

/** One port's video parts. */
interface PortVideo {
  readonly port: HubPortNode;
  input: FilterInput | undefined;
  /** The compositor's request pad fed by the input, once linked. */
  pad: string | undefined;
  /** The video output (format key) this port's sinks take. */
  key: string | undefined;
}

/**
 * The media half of the hubs that mix (KMD Composite, AlphaBlending): "mixes the AUDIO
 * stream of its connected sources and constructs one output with the VIDEO streams of
 * its connected sources". In the pipeline's engine process: each port's video decoded
 * into a request pad of one compositor (placed by the subclass's `place`), the picture
 * encoded once per output format and shared by every port whose sinks take it; each
 * port's audio mixed for every other port (AudioMixes: each port hears everyone but
 * itself, where Kurento gives the speaker an echo). A live black source keeps the
 * compositor running without inputs, and a stalled input never holds it up.
 */
export abstract class MixingHubNode extends EngineHubNode {
  protected readonly settings: MixSettings;
  readonly #video = new Map<HubPortNode, PortVideo>();
  readonly #audio = new AudioMixes(this, (from, to) => from !== to);
  #compositor: Promise<EngineBin> | undefined;
  readonly #outputs = new Map<string, FilterOutput>();

  constructor(id: string, emit: EmitFn, kind: NodeKind, settings: MixSettings, engine: NodeEngine) {
    super(id, emit, kind, engine);
    this.settings = settings;
  }

  /** Where each port with a picture goes (in the ports' order); none: hidden. */
  protected abstract place(ports: readonly HubPortNode[]): Map<HubPortNode, Placement>;

  /** Places the pictures again (the subclass's placement changed). */
  protected relayout(): Promise<void> {
    this.serial(() => this.#layout());
    return this.settled();
  }

  /** The compositor bin (built once, on the first port): its tee `t` feeds the video encoders. */
  #mixer(): Promise<EngineBin> {
    this.#compositor ??= this.engine.engine.addBin(this.engine.pipeline, this.binName('video'), videoMixerDescription(this.settings), this.listener());
    return this.#compositor;
  }

  protected rebuild(): void {
    this.#compositor = undefined;
    const outputs = [...this.#outputs.values()];
    this.#outputs.clear();
    for (const v of this.#video.values()) {
      const input = v.input;
      Object.assign(v, { input: undefined, pad: undefined, key: undefined });
      if (input) this.serial(() => input.close());
    }
    for (const o of outputs) this.serial(() => o.close());
    this.#audio.rebuild();
    this.serial(async () => void (await this.#mixer()));
    for (const port of this.#video.keys()) this.portOutputsChanged(port);
  }

  // ---- ports -------------------------------------------------------------------------

  protected override portAdded(port: HubPortNode): void {
    this.#video.set(port, { port, input: undefined, pad: undefined, key: undefined });
    this.serial(async () => void (await this.#mixer()));
    this.#audio.add(port);
    this.portOutputsChanged(port);
  }

  protected override portRemoved(port: HubPortNode): void {
    const v = this.#video.get(port);
    if (!v) return;
    this.#video.delete(port);
    this.#audio.remove(port);
    this.serial(async () => {
      await v.input?.close();
      if (v.pad !== undefined) await this.#layout();
      this.#reconcileVideo();
    });
  }

  // ---- inputs ------------------------------------------------------------------------

  portInput(port: HubPortNode, kind: AvKind, pkt: MediaPacket): void {
    if (kind === 'AUDIO') return this.#audio.push(port, pkt);
    const v = this.#video.get(port);
    if (!v) return;
    if (v.input?.key !== formatKey(pkt.codec)) {
      if (!FilterInput.canDecode(kind, pkt.codec)) return this.reportUnsupported(port, pkt.codec);
      this.#switchInput(v, pkt.codec);
    }
    v.input!.push(pkt.buf);
  }

  #switchInput(v: PortVideo, codec: RtpCodecInfo): void {
    const old = v.input;
    const input = new FilterInput('VIDEO', codec, VIDEO_INPUT_TAIL);
    v.input = input;
    this.serial(async () => {
      await old?.close();
      v.pad = undefined;
      if (this.#video.get(v.port) !== v || v.input !== input) return void (await input.close());
      const mixer = await this.#mixer();
      const pad = await input.start(this.engine.engine, this.engine.pipeline, this.binName('in-video'), { bin: mixer.name, element: 'mix', pad: 'sink_%u' }, this.listener(v.port));
      if (!pad) return;
      await mixer.engine.request('setProperty', { pipeline: this.engine.pipeline, bin: mixer.name, element: 'mix', pad, name: 'sizing-policy', value: 'keep-aspect-ratio' });
      v.pad = pad;
      await this.#layout();
      v.port.requestInputKeyframe(v.port);
    });
  }

  override portInputChanged(port: HubPortNode, kind: AvKind, edge: unknown): void {
    if (edge) return;
    // The port's source went away (a participant left): its cell goes, the others are re-laid.
    if (kind === 'AUDIO') return this.#audio.inputGone(port);
    const v = this.#video.get(port);
    const input = v?.input;
    if (!v || !input) return;
    v.input = undefined;
    this.serial(async () => {
      const hadPad = v.pad !== undefined;
      v.pad = undefined;
      await input.close();
      if (hadPad) await this.#layout();
    });
  }

  /** Places every video input as the subclass says; an input it does not place is hidden. */
  async #layout(): Promise<void> {
    const mixer = await this.#compositor;
    if (!mixer?.alive) return;
    const placed = [...this.#video.values()].filter((v) => v.pad !== undefined);
    const places = this.place(placed.map((v) => v.port));
    await Promise.all(placed.flatMap((v) => Object.entries(places.get(v.port) ?? HIDDEN).map(([name, value]) =>
      mixer.engine.request('setProperty', { pipeline: this.engine.pipeline, bin: mixer.name, element: 'mix', pad: v.pad!, name, value }))));
  }

  // ---- outputs -----------------------------------------------------------------------

  override portOutputsChanged(port: HubPortNode): void {
    this.#reconcileVideo();
    this.#audio.output(port, formatFor(port, 'AUDIO'));
  }

  /** One video encoder per format some port's sinks take, shared by all of them. */
  #reconcileVideo(): void {
    const needed = new Map<string, RtpCodecInfo>();
    for (const v of this.#video.values()) {
      const format = formatFor(v.port, 'VIDEO');
      v.key = format && formatKey(format);
      if (format) needed.set(v.key!, this.#outputs.get(v.key!)?.format ?? format);
    }
    for (const [key, output] of [...this.#outputs]) {
      if (needed.has(key)) continue;
      this.#outputs.delete(key);
      this.serial(() => output.close());
    }
    for (const [key, format] of needed) {
      const existing = this.#outputs.get(key);
      if (existing) {
        existing.keyframe();
        continue;
      }
      // The hub's encoder settings (KMD MediaElement properties set on the hub).
      const output = new FilterOutput('VIDEO', format, () => ({ owner: this.encoderBitrates, sinks: [] }));
      this.#outputs.set(key, output);
      this.serial(async () => output.start(this.engine.engine, this.engine.pipeline, this.binName('out-video'), await this.#mixer(), (buf) => this.#fromVideo(key, format, buf), this.listener()));
    }
  }

  #fromVideo(key: string, codec: RtpCodecInfo, buf: Buffer): void {
    const pkt: MediaPacket = { codec, buf, at: performance.now() };
    for (const v of this.#video.values()) if (v.key === key) v.port.send('VIDEO', pkt);
  }

  portKeyframe(port: HubPortNode): void {
    const key = this.#video.get(port)?.key;
    if (key) this.#outputs.get(key)?.keyframe();
  }

  override portBandwidth(port: HubPortNode, from: MediaNode, bps: number): void {
    const key = this.#video.get(port)?.key;
    if (key) this.#outputs.get(key)?.bandwidth(from, bps);
  }

  portProduces(_port: HubPortNode, kind: AvKind): FormatSet {
    return filterFormats(kind);
  }

  // ---- lifetime ----------------------------------------------------------------------

  protected override async onClose(): Promise<void> {
    await this.drain();
    const all = [...this.#video.values()];
    this.#video.clear();
    await Promise.all([...all.map((v) => v.input?.close()), this.#audio.close(), ...[...this.#outputs.values()].map((o) => o.close())]);
    this.#outputs.clear();
    await (await this.#compositor?.catch(() => undefined))?.remove();
    await super.onClose();
  }
}

/** The format `port`'s sinks take on `kind`: the first sink's choice (others get theirs through the graph's transcoder). */
export function formatFor(port: HubPortNode, kind: AvKind): RtpCodecInfo | undefined {
  for (const edge of port.outputs[kind]) {
    const format = chooseOutputFormat(kind, edge.sink.accepts(kind), edge.sink.forcedFormat(kind));
    if (format) return format;
  }
  return undefined;
}
