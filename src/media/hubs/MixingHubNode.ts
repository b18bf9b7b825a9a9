import type { EmitFn, FormatSet, MediaNode } from '../graph/MediaNode.ts';
import type { MediaPacket, RtpCodecInfo } from '../graph/MediaPacket.ts';
import { describeCodec } from '../graph/MediaPacket.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import type { EngineBin } from '../engine/EngineBin.ts';
import type { BinListener } from '../engine/MediaEngine.ts';
import type { NodeKind } from '../../shared/workerProtocol.ts';
import { FilterInput } from '../filters/FilterInput.ts';
import { FilterOutput } from '../filters/FilterOutput.ts';
import { chooseOutputFormat, filterFormats } from '../filters/outputFormats.ts';
import { formatKey } from '../transcode/formats.ts';
import { HubNode, type AvKind } from './HubNode.ts';
import type { HubPortNode } from './HubPortNode.ts';
import type { Cell } from './gridLayout.ts';
import { audioInputTail, audioMixerDescription, VIDEO_INPUT_TAIL, videoMixerDescription } from './mixDescriptions.ts';


let bins = 0;

const HIDDEN: Placement = { xpos: 0, ypos: 0, width: 2, height: 2, zorder: 0, alpha: 0 };

/** One port's engine parts. */
interface PortMedia {
  readonly port: HubPortNode;
  video: FilterInput | undefined;
  /** The compositor's request pad fed by the video input, once linked. */
  videoPad: string | undefined;
  audio: FilterInput | undefined;
  /** This port's own audio mix: every other port's audio, never its own (mix-minus). */
  mixer: EngineBin | undefined;
  audioOut: FilterOutput | undefined;
  /** The video output (format key) this port's sinks take. */
  videoKey: string | undefined;
}

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

/**
 * The media half of the hubs that mix (KMD Composite, AlphaBlending): "mixes the AUDIO
 * stream of its connected sources and constructs one output with the VIDEO streams of
 * its connected sources". In the pipeline's engine process: each port's video decoded
 * into a request pad of one compositor (placed by the subclass's `place`), the picture
 * encoded once per output format and shared by every port whose sinks take it; each
 * port's audio decoded into a tee that feeds every other port's audiomixer, so that a
 * port hears everyone but itself (Kurento mixes everyone into everyone's output, the
 * speaker hearing an echo). Live black and silent sources keep the mixers running
 * without inputs, and a stalled input never holds them up.
 */
export abstract class MixingHubNode extends HubNode {
  readonly #engine: NodeEngine;
  protected readonly settings: MixSettings;
  readonly #media = new Map<HubPortNode, PortMedia>();
  #compositor: Promise<EngineBin> | undefined;
  readonly #videoOutputs = new Map<string, FilterOutput>();
  #chain: Promise<void> = Promise.resolve();
  #closedNow = false;
  readonly #reported = new Set<string>();

  constructor(id: string, emit: EmitFn, kind: NodeKind, settings: MixSettings, engine: NodeEngine) {
    super(id, emit, kind);
    this.#engine = engine;
    this.settings = settings;
  }

  /** Where each port with a picture goes (in the ports' order); none: hidden. */
  protected abstract place(ports: readonly HubPortNode[]): Map<HubPortNode, Placement>;

  /** Places the pictures again (the subclass's placement changed). */
  protected relayout(): Promise<void> {
    return new Promise((resolve) => this.#serial(async () => { await this.#layout(); resolve(); }));
  }

  #serial(fn: () => Promise<void>): void {
    this.#chain = this.#chain.then(fn).catch((err: unknown) => {
      if (!this.#closedNow) this.#error(err instanceof Error ? err.message : String(err));
    });
  }

  #error(description: string): void {
    this.emit('Error', { description: `${this.kind} ${this.id}: ${description}`, errorCode: 40003, type: 'MEDIA_ENGINE_ERROR' });
  }

  #listener(media?: PortMedia): BinListener {
    return {
      event: (e) => {
        if (e.type === 'keyframeRequest') media?.port.requestInputKeyframe(media.port);
        else if (e.type === 'error') this.#error(e.message);
      },
      exit: (x) => this.#error(`the media engine process stopped (${x.description})`),
    };
  }

  #name(what: string): string {
    return `${this.kind.toLowerCase()}-${++bins}-${what}`;
  }

  /** The compositor bin (built once, on the first port): its tee `t` feeds the video encoders. */
  #videoMixer(): Promise<EngineBin> {
    this.#compositor ??= this.#engine.engine.addBin(this.#engine.pipeline, this.#name('video'), videoMixerDescription(this.settings), this.#listener());
    return this.#compositor;
  }

  /** A port's audio mixer: a silent live source keeps it running; its tee `t` feeds the port's audio encoder. */
  #audioMixer(): Promise<EngineBin> {
    return this.#engine.engine.addBin(this.#engine.pipeline, this.#name('audio'), audioMixerDescription(), this.#listener());
  }

  // ---- ports -------------------------------------------------------------------------

  protected override portAdded(port: HubPortNode): void {
    const media: PortMedia = { port, video: undefined, videoPad: undefined, audio: undefined, mixer: undefined, audioOut: undefined, videoKey: undefined };
    this.#media.set(port, media);
    this.#serial(async () => {
      await this.#videoMixer();
      const mixer = await this.#audioMixer();
      if (this.#closedNow || !this.#media.has(port)) return void (await mixer.remove());
      media.mixer = mixer;
      for (const other of this.#media.values()) if (other !== media) await this.#linkAudio(other, media);
      this.#reconcile(media);
    });
  }

  protected override portRemoved(port: HubPortNode): void {
    const media = this.#media.get(port);
    if (!media) return;
    this.#media.delete(port);
    this.#serial(async () => {
      const hadVideo = media.videoPad !== undefined;
      await Promise.all([media.video?.close(), media.audio?.close(), media.audioOut?.close()]);
      await media.mixer?.remove();
      if (hadVideo) await this.#layout();
      this.#reconcileVideo();
    });
  }

  /** Feeds `from`'s decoded audio into `to`'s mixer (never a port's own). */
  async #linkAudio(from: PortMedia, to: PortMedia): Promise<void> {
    const src = from.audio?.bin;
    if (from === to || !src || !to.mixer?.alive) return;
    await src.engine.request('link', { pipeline: this.#engine.pipeline, from: { bin: src.name, element: 't', pad: 'src_%u' }, to: { bin: to.mixer.name, element: 'amix', pad: 'sink_%u' } });
  }

  // ---- inputs ------------------------------------------------------------------------

  portInput(port: HubPortNode, kind: AvKind, pkt: MediaPacket): void {
    const media = this.#media.get(port);
    if (!media) return;
    const input = media[kind === 'VIDEO' ? 'video' : 'audio'];
    if (input?.key !== formatKey(pkt.codec)) {
      if (!FilterInput.canDecode(kind, pkt.codec)) return this.#unsupported(port, pkt.codec);
      this.#switchInput(media, kind, pkt.codec);
    }
    media[kind === 'VIDEO' ? 'video' : 'audio']!.push(pkt.buf);
  }

  #unsupported(port: HubPortNode, codec: RtpCodecInfo): void {
    const key = `${port.id}|${formatKey(codec)}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.emit('Error', { description: `${this.kind} ${this.id} cannot decode ${describeCodec(codec)} from ${port.id}`, errorCode: 40005, type: 'UNSUPPORTED_MEDIA_TYPE' });
  }

  #switchInput(media: PortMedia, kind: AvKind, codec: RtpCodecInfo): void {
    const video = kind === 'VIDEO';
    const old = video ? media.video : media.audio;
    // Video: a short leaky queue before the compositor's pad; audio: a tee into the others' mixers.
    const input = new FilterInput(kind, codec, video ? VIDEO_INPUT_TAIL : audioInputTail());
    if (video) media.video = input;
    else media.audio = input;
    this.#serial(async () => {
      await old?.close();
      if (!this.#media.has(media.port) || (video ? media.video : media.audio) !== input) return void (await input.close());
      if (!video) {
        await input.start(this.#engine.engine, this.#engine.pipeline, this.#name('in-audio'), undefined, this.#listener(media));
        for (const other of this.#media.values()) await this.#linkAudio(media, other);
        return;
      }
      const mixer = await this.#videoMixer();
      media.videoPad = undefined;
      const pad = await input.start(this.#engine.engine, this.#engine.pipeline, this.#name('in-video'), { bin: mixer.name, element: 'mix', pad: 'sink_%u' }, this.#listener(media));
      if (!pad) return;
      await mixer.engine.request('setProperty', { pipeline: this.#engine.pipeline, bin: mixer.name, element: 'mix', pad, name: 'sizing-policy', value: 'keep-aspect-ratio' });
      media.videoPad = pad;
      await this.#layout();
      media.port.requestInputKeyframe(media.port);
    });
  }

  override portInputChanged(port: HubPortNode, kind: AvKind, edge: unknown): void {
    const media = this.#media.get(port);
    if (!media || edge) return;
    // The port's source went away (a participant left): its cell goes, the others are re-laid.
    const input = kind === 'VIDEO' ? media.video : media.audio;
    if (!input) return;
    if (kind === 'VIDEO') media.video = undefined;
    else media.audio = undefined;
    this.#serial(async () => {
      const hadPad = kind === 'VIDEO' && media.videoPad !== undefined;
      if (kind === 'VIDEO') media.videoPad = undefined;
      await input.close();
      if (hadPad) await this.#layout();
    });
  }

  /** Places every video input as the subclass says; an input it does not place is hidden. */
  async #layout(): Promise<void> {
    const mixer = await this.#compositor;
    if (!mixer?.alive) return;
    const placed = [...this.#media.values()].filter((m) => m.videoPad !== undefined);
    const places = this.place(placed.map((m) => m.port));
    await Promise.all(placed.flatMap((m) => Object.entries(places.get(m.port) ?? HIDDEN).map(([name, value]) =>
      mixer.engine.request('setProperty', { pipeline: this.#engine.pipeline, bin: mixer.name, element: 'mix', pad: m.videoPad!, name, value }))));
  }

  // ---- outputs -----------------------------------------------------------------------

  override portOutputsChanged(port: HubPortNode): void {
    const media = this.#media.get(port);
    if (media) this.#reconcile(media);
  }

  /** The format `port`'s sinks take on `kind`: the first sink's choice (others get theirs through the graph's transcoder). */
  #formatFor(port: HubPortNode, kind: AvKind): RtpCodecInfo | undefined {
    for (const edge of port.outputs[kind]) {
      const format = chooseOutputFormat(kind, edge.sink.accepts(kind), edge.sink.forcedFormat(kind));
      if (format) return format;
    }
    return undefined;
  }

  #reconcile(media: PortMedia): void {
    this.#reconcileVideo();
    const format = this.#formatFor(media.port, 'AUDIO');
    if (media.audioOut && format && formatKey(media.audioOut.format) === formatKey(format)) return;
    const old = media.audioOut;
    media.audioOut = undefined;
    if (old) this.#serial(() => old.close());
    if (!format || !media.mixer) return;
    const output = new FilterOutput('AUDIO', format);
    media.audioOut = output;
    this.#serial(async () => {
      if (!media.mixer?.alive || media.audioOut !== output) return output.close();
      await output.start(this.#engine.engine, this.#engine.pipeline, this.#name('out-audio'), media.mixer,
        (buf) => media.port.send('AUDIO', { codec: format, buf, at: performance.now() }), this.#listener());
    });
  }

  /** One video encoder per format some port's sinks take, shared by all of them. */
  #reconcileVideo(): void {
    const needed = new Map<string, RtpCodecInfo>();
    for (const media of this.#media.values()) {
      const format = this.#formatFor(media.port, 'VIDEO');
      media.videoKey = format && formatKey(format);
      if (format) needed.set(media.videoKey!, this.#videoOutputs.get(media.videoKey!)?.format ?? format);
    }
    for (const [key, output] of [...this.#videoOutputs]) {
      if (needed.has(key)) continue;
      this.#videoOutputs.delete(key);
      this.#serial(() => output.close());
    }
    for (const [key, format] of needed) {
      const existing = this.#videoOutputs.get(key);
      if (existing) {
        existing.keyframe();
        continue;
      }
      const output = new FilterOutput('VIDEO', format);
      this.#videoOutputs.set(key, output);
      this.#serial(async () => output.start(this.#engine.engine, this.#engine.pipeline, this.#name('out-video'), await this.#videoMixer(), (buf) => this.#fromVideo(key, format, buf), this.#listener()));
    }
  }

  #fromVideo(key: string, codec: RtpCodecInfo, buf: Buffer): void {
    const pkt: MediaPacket = { codec, buf, at: performance.now() };
    for (const media of this.#media.values()) if (media.videoKey === key) media.port.send('VIDEO', pkt);
  }

  portKeyframe(port: HubPortNode): void {
    const key = this.#media.get(port)?.videoKey;
    if (key) this.#videoOutputs.get(key)?.keyframe();
  }

  override portBandwidth(port: HubPortNode, from: MediaNode, bps: number): void {
    const key = this.#media.get(port)?.videoKey;
    if (key) this.#videoOutputs.get(key)?.bandwidth(from, bps);
  }

  portProduces(_port: HubPortNode, kind: AvKind): FormatSet {
    return filterFormats(kind);
  }

  // ---- lifetime ----------------------------------------------------------------------

  protected override async onClose(): Promise<void> {
    this.#closedNow = true;
    await this.#chain;
    const all = [...this.#media.values()];
    this.#media.clear();
    await Promise.all(all.flatMap((m) => [m.video?.close(), m.audio?.close(), m.audioOut?.close(), m.mixer?.remove()]));
    await Promise.all([...this.#videoOutputs.values()].map((o) => o.close()));
    this.#videoOutputs.clear();
    await (await this.#compositor?.catch(() => undefined))?.remove();
    await super.onClose();
  }
}
