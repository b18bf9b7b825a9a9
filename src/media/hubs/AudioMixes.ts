import type { MediaPacket, RtpCodecInfo } from '../graph/MediaPacket.ts';
import type { EngineBin } from '../engine/EngineBin.ts';
import { FilterInput } from '../filters/FilterInput.ts';
import { FilterOutput } from '../filters/FilterOutput.ts';
import { formatKey } from '../transcode/formats.ts';
import type { HubPortNode } from './HubPortNode.ts';
import type { EngineHubNode } from './EngineHubNode.ts';
import { audioInputTail, audioMixerDescription } from './mixDescriptions.ts';

/** One port's audio parts in the engine. */
interface PortAudio {
  readonly port: HubPortNode;
  /** The port's input, decoded into a tee (`t`) that feeds the mixers that hear it. */
  input: FilterInput | undefined;
  /** What this port sends: the mix of the ports it hears (audiomixer `amix`, tee `t`). */
  mixer: EngineBin | undefined;
  output: FilterOutput | undefined;
  /** The mixer's request pad fed by each port linked into it. */
  readonly pads: Map<PortAudio, string>;
}

/**
 * The audio of the mixing hubs: each port's audio decoded once into a tee, each port's
 * output its own audiomixer of the ports it hears (`hears`: everyone but itself for
 * Composite and AlphaBlending, Mixer's connections), encoded in the format its sinks
 * take. A link no longer heard is muted rather than unlinked: unlinking a request pad
 * stops its input first (engine-host-notes), which would silence that port for every
 * other mixer too.
 */
export class AudioMixes {
  readonly #hub: EngineHubNode;
  readonly #hears: (from: HubPortNode, to: HubPortNode) => boolean;
  readonly #ports = new Map<HubPortNode, PortAudio>();

  constructor(hub: EngineHubNode, hears: (from: HubPortNode, to: HubPortNode) => boolean) {
    this.#hub = hub;
    this.#hears = hears;
  }

  add(port: HubPortNode): void {
    const a: PortAudio = { port, input: undefined, mixer: undefined, output: undefined, pads: new Map() };
    this.#ports.set(port, a);
    this.#hub.serial(async () => {
      const mixer = await this.#hub.engine.engine.addBin(this.#hub.engine.pipeline, this.#hub.binName('audio'), audioMixerDescription(), this.#hub.listener());
      if (this.#hub.closing || this.#ports.get(port) !== a) return void (await mixer.remove());
      a.mixer = mixer;
      for (const other of this.#ports.values()) await this.#apply(other, a);
    });
  }

  remove(port: HubPortNode): void {
    const a = this.#ports.get(port);
    if (!a) return;
    this.#ports.delete(port);
    for (const other of this.#ports.values()) other.pads.delete(a);
    this.#hub.serial(async () => {
      await Promise.all([a.input?.close(), a.output?.close()]);
      await a.mixer?.remove();
    });
  }

  /** A packet of `port`'s audio input. */
  push(port: HubPortNode, pkt: MediaPacket): void {
    const a = this.#ports.get(port);
    if (!a) return;
    if (a.input?.key !== formatKey(pkt.codec)) {
      if (!FilterInput.canDecode('AUDIO', pkt.codec)) return this.#hub.reportUnsupported(port, pkt.codec);
      this.#switchInput(a, pkt.codec);
    }
    a.input!.push(pkt.buf);
  }

  #switchInput(a: PortAudio, codec: RtpCodecInfo): void {
    const old = a.input;
    const input = new FilterInput('AUDIO', codec, audioInputTail());
    a.input = input;
    for (const other of this.#ports.values()) other.pads.delete(a);
    this.#hub.serial(async () => {
      await old?.close();
      if (this.#ports.get(a.port) !== a || a.input !== input) return void (await input.close());
      await input.start(this.#hub.engine.engine, this.#hub.engine.pipeline, this.#hub.binName('in-audio'), undefined, this.#hub.listener(a.port));
      for (const other of this.#ports.values()) await this.#apply(a, other);
    });
  }

  /** `port`'s source went away: its decoder goes (and with it its pads in the mixers). */
  inputGone(port: HubPortNode): void {
    const a = this.#ports.get(port);
    const input = a?.input;
    if (!a || !input) return;
    a.input = undefined;
    for (const other of this.#ports.values()) other.pads.delete(a);
    this.#hub.serial(() => input.close());
  }

  /** Whether `from` is heard in `to`'s mix changed: linked (once) or unmuted, or muted. */
  changed(from: HubPortNode, to: HubPortNode): void {
    const [f, t] = [this.#ports.get(from), this.#ports.get(to)];
    if (f && t) this.#hub.serial(() => this.#apply(f, t));
  }

  async #apply(from: PortAudio, to: PortAudio): Promise<void> {
    const src = from.input?.bin;
    if (from === to || !src?.alive || !to.mixer?.alive) return;
    const heard = this.#hears(from.port, to.port);
    const pipeline = this.#hub.engine.pipeline;
    let pad = to.pads.get(from);
    if (!pad) {
      if (!heard) return;
      pad = (await src.engine.request('link', { pipeline, from: { bin: src.name, element: 't', pad: 'src_%u' }, to: { bin: to.mixer.name, element: 'amix', pad: 'sink_%u' } })).toPad;
      to.pads.set(from, pad);
      return;
    }
    await to.mixer.engine.request('setProperty', { pipeline, bin: to.mixer.name, element: 'amix', pad, name: 'mute', value: !heard });
  }

  /** `port`'s sinks take `format` (undefined: none): its mix is encoded in it. */
  output(port: HubPortNode, format: RtpCodecInfo | undefined): void {
    const a = this.#ports.get(port);
    if (!a || (a.output && format && formatKey(a.output.format) === formatKey(format))) return;
    const old = a.output;
    a.output = undefined;
    if (old) this.#hub.serial(() => old.close());
    if (!format) return;
    const output = new FilterOutput('AUDIO', format);
    a.output = output;
    this.#hub.serial(async () => {
      if (!a.mixer?.alive || a.output !== output) return output.close();
      await output.start(this.#hub.engine.engine, this.#hub.engine.pipeline, this.#hub.binName('out-audio'), a.mixer,
        (buf) => port.send('AUDIO', { codec: format, buf, at: performance.now() }), this.#hub.listener());
    });
  }

  /** The engine process died: every port's parts are dropped and built again (outputs: as the hub asks). */
  rebuild(): void {
    const old = [...this.#ports.values()];
    this.#ports.clear();
    this.#hub.serial(async () => void (await Promise.all(old.flatMap((a) => [a.input?.close(), a.output?.close(), a.mixer?.remove()]))));
    for (const a of old) this.add(a.port);
  }

  /** Everything goes (the hub is closing; its queued changes are done). */
  async close(): Promise<void> {
    const all = [...this.#ports.values()];
    this.#ports.clear();
    await Promise.all(all.flatMap((a) => [a.input?.close(), a.output?.close(), a.mixer?.remove()]));
  }
}
