import type { EngineProcess } from '../../engine/EngineProcess.ts';
import type { EngineArgs, EngineOp, EngineResult } from '../../engine/protocol.ts';

/** Engine requests addressed to one bin: `pipeline` and `bin` are filled in. */
type BinArgs<K extends EngineOp> = Omit<EngineArgs<K>, 'pipeline' | 'bin'>;

/** One bin in an engine pipeline, as added; its ports and the requests that address it. */
export class EngineBin {
  readonly engine: EngineProcess;
  readonly pipeline: string;
  readonly name: string;
  readonly ports: EngineResult<'addBin'>['ports'];
  readonly #forget: () => void;
  #removed = false;

  constructor(engine: EngineProcess, pipeline: string, name: string, added: EngineResult<'addBin'>, forget: () => void) {
    this.engine = engine;
    this.pipeline = pipeline;
    this.name = name;
    this.ports = added.ports;
    this.#forget = forget;
  }

  /** The UDP port an element of the bin receives on or sends from. */
  port(element: string): number | undefined {
    return this.ports.find((p) => p.element === element)?.port;
  }

  get alive(): boolean {
    return !this.#removed && this.engine.alive;
  }

  /** With `pad`, a property of that pad of the element (compositor `sink_0::alpha`). */
  setProperty(element: string, name: string, value: string | number | boolean, pad?: string): Promise<void> {
    return this.#request('setProperty', { element, name, value, ...(pad ? { pad } : {}) }).then(() => undefined);
  }

  /** A property of an element, or of one of its pads (`caps` of a pad: what flows through it now). */
  async getProperty(element: string, name: string, pad?: string): Promise<unknown> {
    if (!this.alive) throw new Error(`engine bin ${this.name} is gone`);
    const r = await this.engine.request('getProperty', { pipeline: this.pipeline, bin: this.name, element, name, ...(pad ? { pad } : {}) });
    return r.value;
  }

  /** EOS into the bin: its muxers write their end, and the engine reports the sinks' EOS. */
  eos(): Promise<void> {
    return this.#request('action', { action: { kind: 'eos' } }).then(() => undefined);
  }

  /** The counters of the bin's elements (rtpjitterbuffer `stats`, ...), as the engine reports them. */
  async counters(): Promise<Record<string, unknown>> {
    if (!this.alive) return {};
    const r = await this.engine.request('stats', { pipeline: this.pipeline });
    const elements = r.pipelines[this.pipeline]?.bins[this.name]?.elements ?? {};
    return Object.fromEntries(Object.entries(elements).map(([path, e]) => [path, e.values]));
  }

  keyframe(element: string): Promise<void> {
    return this.#request('keyframe', { element }).then(() => undefined);
  }

  #request<K extends 'setProperty' | 'keyframe' | 'action'>(op: K, args: BinArgs<K>): Promise<EngineResult<K>> {
    if (!this.alive) return Promise.reject(new Error(`engine bin ${this.name} is gone`));
    return this.engine.request(op, { ...args, pipeline: this.pipeline, bin: this.name } as EngineArgs<K>);
  }

  /** Removes the bin from its engine pipeline (idempotent; nothing to do once the process is gone). */
  async remove(): Promise<void> {
    if (this.#removed) return;
    this.#removed = true;
    this.#forget();
    if (this.engine.alive) await this.engine.request('removeBin', { pipeline: this.pipeline, bin: this.name }).catch(() => undefined);
  }
}
