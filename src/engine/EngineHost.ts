/**
 * The engine child's GStreamer side: one GstPipeline per caller pipeline id, one GstBin
 * per caller bin, links by pad name, bus messages out as `EngineEvent`s. Runs on the
 * child's only JS thread, inside GLib's main loop (engine-main.ts).
 *
 * Rules kept (../shared/reference/engine-host-notes.md, each from a failure seen there):
 * - no JavaScript on streaming threads: the only pad probes are upstream-event probes on
 *   udpsrc src pads (keyframe requests), called for upstream events only, never per buffer;
 * - quiesce before a state change: the probes of the whole pipeline are removed and 50 ms
 *   pass before a bin or pipeline goes to NULL (a pending cross-thread callback deadlocked
 *   setState(NULL)); the whole pipeline, because a probe of an upstream bin runs on the
 *   thread that pushes into the bin being stopped. The survivors are re-armed after.
 * - bus messages through a signal watch, never a sync handler;
 * - compositor-style request pads: the input goes to NULL before its pad is unlinked and released.
 */
import type {
  BinPort, EngineAction, EngineArgs, EngineEvent, EngineResult, PadRef, PipelineStats, QueryResult, Where,
} from './protocol.ts';
import { EngineError } from './EngineError.ts';
import {
  CLOCK_TIME_NONE, factoryName, GObj, GObject, Gst, GstVideo, jsToJson, padsOf, readProperty, writeProperty, stateName, stateValue,
  nameOf, pads as padOps, structureToJson, walkElements,
} from './gst.ts';

interface Probe { pad: GObj; id: bigint | number }

interface BinEntry {
  name: string;
  bin: GObj;
  probes: Probe[];
  /** Following the pipeline's state (see `tryStart`). */
  started: boolean;
}

/** A request pad made by `link`, and the ghost pad that exposes it on its bin. */
interface RequestPad { bin: string; element: GObj; pad: GObj; ghost: GObj }

interface LinkEntry {
  fromBin: string;
  toBin: string;
  srcPad: GObj;
  sinkPad: GObj;
  requests: RequestPad[];
}

interface PipelineEntry {
  id: string;
  pipeline: GObj;
  bus: GObj;
  busHandler: number;
  bins: Map<string, BinEntry>;
  links: LinkEntry[];
}

const QUIESCE_MS = 50;
/** Stopped pipelines kept for reuse: more than the pipelines a process usually holds at once. */
const SPARE_PIPELINES = 32;
/** GSignalFlags G_SIGNAL_ACTION (gsignal.h). */
const G_SIGNAL_ACTION = 32;
const NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class EngineHost {
  private readonly pipelines = new Map<string, PipelineEntry>();

  constructor(private readonly emit: (event: EngineEvent) => void) {}

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  async addBin(a: EngineArgs<'addBin'>): Promise<EngineResult<'addBin'>> {
    checkName('pipeline', a.pipeline);
    checkName('bin', a.bin);
    if (typeof a.description !== 'string' || !a.description.trim()) throw new EngineError('BAD_REQUEST', 'empty bin description');
    if (this.pipelines.get(a.pipeline)?.bins.has(a.bin)) throw new EngineError('EXISTS', `bin ${a.bin} already in pipeline ${a.pipeline}`);
    let bin: GObj;
    try {
      // ghost_unlinked_pads: the bin's first unlinked pads become its ports (GStreamerFilter pattern).
      bin = Gst.parseBinFromDescription(a.description, a.ghostPads !== false);
    } catch (e) {
      throw new EngineError('PARSE_ERROR', `bin ${a.bin}: ${(e as Error).message}`);
    }
    if (!bin) throw new EngineError('PARSE_ERROR', `bin ${a.bin}: the description gave no bin`);
    if (a.refuseFactories !== undefined) this.refuseFactories(a.bin, bin, a.refuseFactories);
    bin.setName(a.bin);
    // A bin posts its own EOS only once every sink in it has one; message-forward passes
    // each sink's EOS up as well (GstBinForwarded, unwrapped in onBusMessage), so a
    // caller learns that one branch ended while another never carried media.
    Gst.utilSetObjectArg(bin, 'message-forward', 'true');
    // Created once the description parsed: a bad first bin leaves no empty pipeline behind.
    const p = this.pipelines.get(a.pipeline) ?? this.createPipeline(a.pipeline);
    const entry: BinEntry = { name: a.bin, bin, probes: [], started: false };
    for (const { element } of walkElements(bin)) {
      // A sink added to a running pipeline with async=true makes the pipeline lose its
      // PLAYING state until it prerolls, and a live source upstream produces nothing
      // before PLAYING: neither would ever move. Sinks of engine bins never preroll.
      if (typeof readProperty(element, 'async') === 'boolean') writeProperty(element, 'async', false);
    }
    const pads = { sink: [] as string[], src: [] as string[] };
    for (const pad of padsOf(bin)) (pad.direction === Gst.PadDirection.SRC ? pads.src : pads.sink).push(nameOf(pad));
    p.pipeline.add(bin);
    p.bins.set(a.bin, entry);
    // A bin with outputs waits in READY (its udpsrc ports bound) until they are linked:
    // a live source pushing into an unlinked pad stops with not-linked for good.
    bin.setLockedState(true);
    const ok = bin.setState(Gst.State.READY) !== Gst.StateChangeReturn.FAILURE && (pads.src.length > 0 || this.tryStart(p, entry));
    if (!ok) {
      await this.dropBin(p, entry);
      throw new EngineError('STATE_CHANGE_FAILED', `bin ${a.bin} could not reach the pipeline's state (a port in use, a device missing: see the error event)`);
    }
    return { pads, ports: portsOf(bin) };
  }

  /**
   * Throws REFUSED when an element of `bin` comes from a factory `pattern` names: the
   * parsed bin is checked whole, whatever syntax made its elements (a second chain in
   * one fragment, a nested bin, a URI turned into its handler). The bin is still in
   * NULL, outside any pipeline: nothing in it has opened a file or a socket.
   */
  private refuseFactories(name: string, bin: GObj, pattern: string): void {
    let re: RegExp;
    try {
      re = new RegExp(pattern);
    } catch {
      throw new EngineError('BAD_REQUEST', `bin ${name}: refuseFactories is not a regular expression`);
    }
    const refused = [...new Set(walkElements(bin).map(({ element }) => factoryName(element)).filter((f) => re.test(f)))];
    if (refused.length) throw new EngineError('REFUSED', `bin ${name}: elements not allowed here: ${refused.join(', ')}`);
  }

  async removeBin(a: EngineArgs<'removeBin'>): Promise<EngineResult<'removeBin'>> {
    const p = this.pipeline(a.pipeline);
    await this.dropBin(p, this.bin(p, a.bin));
    return {};
  }

  async removePipeline(a: EngineArgs<'removePipeline'>): Promise<EngineResult<'removePipeline'>> {
    await this.dropPipeline(this.pipeline(a.pipeline));
    return {};
  }

  link(a: EngineArgs<'link'>): EngineResult<'link'> {
    const p = this.pipeline(a.pipeline);
    this.bin(p, a.from?.bin);
    this.bin(p, a.to?.bin);
    if (a.from.bin === a.to.bin) throw new EngineError('BAD_REQUEST', 'a bin cannot be linked to itself');
    const requests: RequestPad[] = [];
    try {
      const srcPad = this.padFor(p, a.from, Gst.PadDirection.SRC, requests);
      const sinkPad = this.padFor(p, a.to, Gst.PadDirection.SINK, requests);
      const r = padOps.link(srcPad, sinkPad);
      if (r !== Gst.PadLinkReturn.OK) {
        throw new EngineError('LINK_FAILED', `${a.from.bin}:${nameOf(srcPad)} -> ${a.to.bin}:${nameOf(sinkPad)}: ${linkReturnName(r)}`);
      }
      p.links.push({ fromBin: a.from.bin, toBin: a.to.bin, srcPad, sinkPad, requests });
      this.tryStart(p, this.bin(p, a.from.bin));
      const real = (ghost: GObj): string => { const q = requests.find((x) => x.ghost === ghost); return nameOf(q ? q.pad : ghost); };
      return { fromPad: real(srcPad), toPad: real(sinkPad) };
    } catch (e) {
      for (const q of requests) releaseRequest(p, q);
      throw e;
    }
  }

  async unlink(a: EngineArgs<'unlink'>): Promise<EngineResult<'unlink'>> {
    const p = this.pipeline(a.pipeline);
    const matches = (ref: PadRef, pad: GObj, bin: string) =>
      ref.bin === bin && (ref.pad === undefined || ref.pad.includes('%') || ref.pad === nameOf(pad) || (padOps.target(pad) && ref.pad === nameOf(padOps.target(pad))));
    const i = p.links.findIndex((l) => matches(a.from, l.srcPad, l.fromBin) && matches(a.to, l.sinkPad, l.toBin));
    if (i < 0) throw new EngineError('NO_SUCH_PAD', `no link ${a.from.bin} -> ${a.to.bin} in pipeline ${a.pipeline}`);
    const [l] = p.links.splice(i, 1);
    if (l.requests.some((q) => q.bin === l.toBin && q.element)) {
      // engine-host-notes: the input goes to NULL before its request pad (compositor,
      // audiomixer) is unlinked and released; it starts again when linked again. A tee's
      // request pad on the output side needs nothing: tee releases pads while running.
      const input = p.bins.get(l.fromBin);
      if (input) {
        await this.quiesce(p);
        input.bin.setLockedState(true);
        input.bin.setState(Gst.State.NULL);
        input.started = false;
        this.rearm(p);
      }
    }
    padOps.unlink(l.srcPad, l.sinkPad);
    for (const q of l.requests) releaseRequest(p, q);
    return {};
  }

  setProperty(a: EngineArgs<'setProperty'>): EngineResult<'setProperty'> {
    const target = this.propertyTarget(a);
    if (readProperty(target, a.name) === undefined) throw new EngineError('NO_SUCH_PROPERTY', `${describe(a)} has no property ${a.name}`);
    // gst_util_set_object_arg parses the value as gst-launch does (enum nicks, caps, 64-bit numbers).
    Gst.utilSetObjectArg(target, a.name, String(a.value));
    // gst_util_set_object_arg says nothing when a value does not parse or an element
    // ignores a change in its current state (x264enc `threads` while PLAYING): a number or
    // boolean is read back so the caller learns it was not applied.
    const wanted = typeof a.value === 'string' && a.value.trim() !== '' && !Number.isNaN(Number(a.value)) ? Number(a.value) : a.value;
    if (typeof wanted === 'number' || typeof wanted === 'boolean') {
      const now = jsToJson(readProperty(target, a.name));
      if ((typeof now === 'number' || typeof now === 'boolean') && now !== wanted && Number(now) !== Number(wanted)) {
        throw new EngineError('BAD_REQUEST', `${describe(a)}: ${a.name} stayed ${String(now)}, ${String(a.value)} not applied (out of range, or not changeable in this state)`);
      }
    }
    return {};
  }

  getProperty(a: EngineArgs<'getProperty'>): EngineResult<'getProperty'> {
    const value = readProperty(this.propertyTarget(a), a.name);
    if (value === undefined) throw new EngineError('NO_SUCH_PROPERTY', `${describe(a)} has no property ${a.name}`);
    return { value: jsToJson(value) };
  }

  async action(a: EngineArgs<'action'>): Promise<EngineResult<'action'>> {
    const p = this.pipeline(a.pipeline);
    const entry = a.bin === undefined ? null : this.bin(p, a.bin);
    const target: GObj = entry ? entry.bin : p.pipeline;
    const act: EngineAction = a.action;
    switch (act?.kind) {
      case 'state': {
        if (!['NULL', 'READY', 'PAUSED', 'PLAYING'].includes(act.state)) throw new EngineError('BAD_REQUEST', `unknown state ${String(act.state)}`);
        if (act.state === 'NULL') await this.quiesce(p);
        // A bin given its own state must not follow the pipeline's next change.
        if (entry) {
          entry.bin.setLockedState(true);
          entry.started = act.state !== 'NULL';
        }
        const r = target.setState(stateValue(act.state));
        this.rearm(p);
        if (r === Gst.StateChangeReturn.FAILURE) throw new EngineError('STATE_CHANGE_FAILED', `${a.bin ?? a.pipeline} could not go to ${act.state}`);
        return {};
      }
      case 'seek': {
        if (!(act.positionMs >= 0)) throw new EngineError('BAD_REQUEST', 'seek needs positionMs >= 0');
        const flags = Gst.SeekFlags.FLUSH | (act.accurate ? Gst.SeekFlags.ACCURATE : Gst.SeekFlags.KEY_UNIT);
        if (!target.seekSimple(Gst.Format.TIME, flags, BigInt(Math.round(act.positionMs * 1e6)))) {
          throw new EngineError('ENGINE_ERROR', `seek to ${act.positionMs} ms refused by ${a.bin ?? a.pipeline}`);
        }
        return {};
      }
      case 'query': return { query: queryTimes(target) };
      case 'eos': {
        if (act.element && !entry) throw new EngineError('BAD_REQUEST', 'eos into an element needs its bin');
        const el = act.element && entry ? this.element(entry, act.element) : null;
        // Into the sink pads: those of the element, or the bin's ghost inputs (a recording
        // branch fed by a tee); a bin or element without inputs gets it as its sources do
        // (gst_element_send_event).
        const inputs = el ? [el.getStaticPad('sink')].filter(Boolean) : entry ? padsOf(entry.bin).filter((x) => x.direction === Gst.PadDirection.SINK) : [];
        const ok = inputs.length
          ? inputs.map((pad) => padOps.sendEvent(pad, Gst.Event.newEos())).every(Boolean)
          : (el ?? target).sendEvent(Gst.Event.newEos());
        if (!ok) throw new EngineError('ENGINE_ERROR', `EOS not accepted by ${act.element ?? a.bin ?? a.pipeline}`);
        return {};
      }
      case 'emit': {
        if (!entry) throw new EngineError('BAD_REQUEST', 'emit needs a bin');
        const el = this.element(entry, act.element);
        const args = act.args ?? [];
        // Action signals only (G_SIGNAL_ACTION), with their exact arity: emitting a
        // notification such as pad-added by hand would lie to the element's listeners.
        const id: number = GObject.signalLookup(act.signal, el.__gtype__);
        const info = id ? GObject.signalQuery(id) : null;
        if (!info || !(info.signalFlags & G_SIGNAL_ACTION)) throw new EngineError('BAD_REQUEST', `${act.element} has no action signal ${act.signal}`);
        if (info.nParams !== args.length) throw new EngineError('BAD_REQUEST', `${act.element}.${act.signal} takes ${info.nParams} arguments, not ${args.length}`);
        try {
          // The return value stays here: node-gtk mis-serialises some boxed returns (seen with multiudpsink get-stats).
          el.emit(act.signal, ...args);
        } catch (e) {
          throw new EngineError('BAD_REQUEST', `${act.element}.${act.signal}: ${(e as Error).message}`);
        }
        return {};
      }
      default: throw new EngineError('BAD_REQUEST', `unknown action ${JSON.stringify(act)}`);
    }
  }

  keyframe(a: EngineArgs<'keyframe'>): EngineResult<'keyframe'> {
    const el = this.element(this.bin(this.pipeline(a.pipeline), a.bin), a.element);
    const src = el.getStaticPad('src');
    if (!src) throw new EngineError('NO_SUCH_PAD', `${a.element} has no src pad`);
    // An upstream GstForceKeyUnit into the encoder's src pad (GstVideo force-key-unit
    // events; engine-host-notes: one keyframe within 1 s per request).
    const ev = GstVideo.videoEventNewUpstreamForceKeyUnit(CLOCK_TIME_NONE, true, 0);
    if (!padOps.sendEvent(src, ev)) throw new EngineError('ENGINE_ERROR', `${a.element} refused the force-key-unit event (not an encoder?)`);
    return {};
  }

  stats(a: EngineArgs<'stats'>): { [id: string]: PipelineStats } {
    const out: { [id: string]: PipelineStats } = {};
    const list = a.pipeline === undefined ? [...this.pipelines.values()] : [this.pipeline(a.pipeline)];
    for (const p of list) {
      const bins: PipelineStats['bins'] = {};
      for (const b of p.bins.values()) {
        const elements: PipelineStats['bins'][string]['elements'] = {};
        for (const { path, element } of walkElements(b.bin)) {
          const values: { [k: string]: string | number | boolean | null | object } = {};
          for (const prop of ['stats', 'bytes-served', 'bytes-to-serve']) {
            const v = readProperty(element, prop);
            if (v !== undefined) values[prop] = jsToJson(v);
          }
          elements[path] = { factory: factoryName(element), values: values as PipelineStats['bins'][string]['elements'][string]['values'] };
        }
        bins[b.name] = { state: stateName(b.bin.getState(0)[1]), elements };
      }
      out[p.id] = { state: stateName(p.pipeline.getState(0)[1]), bins };
    }
    return out;
  }

  dot(a: EngineArgs<'dot'>): EngineResult<'dot'> {
    const p = this.pipeline(a.pipeline);
    return { dot: Gst.debugBinToDotData(p.pipeline, a.details ?? Gst.DebugGraphDetails.ALL) };
  }

  /** Every pipeline to NULL and freed (stop, or the control channel closed). */
  async stopAll(): Promise<void> {
    for (const p of [...this.pipelines.values()]) await this.dropPipeline(p);
  }

  /**
   * Starts a bin (unlocks it and syncs it with the pipeline) once each of its outputs is
   * linked to a started bin, then the bins feeding it, so a chain starts downstream first
   * whatever order its links came in: data never reaches a pad that is not flowing yet.
   * False when the state change failed.
   */
  private tryStart(p: PipelineEntry, b: BinEntry): boolean {
    if (b.started) return true;
    const outputs = padsOf(b.bin).filter((x) => x.direction === Gst.PadDirection.SRC);
    const ready = outputs.every((pad) => {
      const l = p.links.find((x) => x.srcPad === pad);
      return l !== undefined && p.bins.get(l.toBin)?.started === true;
    });
    if (!ready) return true;
    b.bin.setLockedState(false);
    b.started = true;
    this.arm(p, b);
    if (!b.bin.syncStateWithParent() || b.bin.getState(0)[0] === Gst.StateChangeReturn.FAILURE) return false;
    for (const l of p.links.filter((x) => x.toBin === b.name)) {
      const up = p.bins.get(l.fromBin);
      if (up) this.tryStart(p, up);
    }
    return true;
  }

  private createPipeline(id: string): PipelineEntry {
    const reused = this.spare.pop();
    const pipeline = reused ?? new Gst.Pipeline({ name: id });
    if (reused) pipeline.setName(id);
    // message-forward: a bin's EOS reaches the bus even while the pipeline's other sinks run (recording branches).
    Gst.utilSetObjectArg(pipeline, 'message-forward', 'true');
    const bus = pipeline.getBus();
    // Messages of the pipeline's previous life are not this one's.
    if (reused) { bus.setFlushing(true); bus.setFlushing(false); }
    bus.addSignalWatch();
    const entry: PipelineEntry = { id, pipeline, bus, busHandler: 0, bins: new Map(), links: [] };
    entry.busHandler = bus.connect('message', (msg: GObj) => this.onBusMessage(entry, msg));
    this.pipelines.set(id, entry);
    pipeline.setState(Gst.State.PLAYING);
    return entry;
  }

  private onBusMessage(p: PipelineEntry, msg: GObj): void {
    const T = Gst.MessageType;
    if (msg.type === T.ELEMENT) {
      const s = msg.getStructure();
      if (s && s.getName() === 'GstBinForwarded') {
        const inner = s.getValue('message').getBoxed();
        // Only EOS is worth forwarding: the rest reaches the bus directly.
        if (inner && inner.type === T.EOS) this.emit({ type: 'eos', ...this.where(p, inner.src) });
        return;
      }
      if (s) this.emit({ type: 'element', structure: structureToJson(s), ...this.where(p, msg.src) });
    } else if (msg.type === T.EOS) {
      this.emit({ type: 'eos', pipeline: p.id, bin: null, element: '' });
    } else if (msg.type === T.ERROR || msg.type === T.WARNING) {
      const [err, debug] = msg.type === T.ERROR ? msg.parseError() : msg.parseWarning();
      this.emit({ type: msg.type === T.ERROR ? 'error' : 'warning', message: err?.message ?? 'unknown', debug: debug ?? null, ...this.where(p, msg.src) });
    } else if (msg.type === T.STATE_CHANGED) {
      const src = msg.src;
      const parent = src ? Gst.Object.prototype.getParent.call(src) : null;
      if (src !== p.pipeline && parent !== p.pipeline) return;
      const [old, current, pending] = msg.parseStateChanged();
      if (old === current) return; // a PAUSED -> PAUSED re-post while a new bin prerolls: nothing changed
      this.emit({ type: 'state', old: stateName(old), current: stateName(current), pending: stateName(pending), ...this.where(p, src) });
    }
  }

  /** Where a GstObject sits: its caller bin and its path below it. */
  private where(p: PipelineEntry, obj: GObj): Where {
    const names: string[] = [];
    let o: GObj = obj instanceof Gst.Pad ? padOps.parent(obj) : obj;
    while (o && o !== p.pipeline) {
      names.unshift(nameOf(o));
      o = Gst.Object.prototype.getParent.call(o);
    }
    // A walk that ends before the pipeline comes from a bin already removed (a bin whose
    // state change failed posts its error, then is dropped before the bus watch runs):
    // its topmost name is still the caller's bin name.
    if (names.length === 0) return { pipeline: p.id, bin: null, element: '' };
    return { pipeline: p.id, bin: names[0], element: names.slice(1).join('/') };
  }

  /**
   * Upstream events reaching a udpsrc: depayloaders (`request-keyframe=true`) and decoders
   * ask for a keyframe with a GstForceKeyUnit event that udpsrc would drop. The probe's
   * mask is EVENT_UPSTREAM, so no buffer ever waits for the JS thread (engine-host-notes);
   * only these rare events do.
   */
  private watchKeyframeRequests(pipeline: string, bin: string, element: string, udpsrc: GObj): Probe {
    const pad = udpsrc.getStaticPad('src');
    const id = pad.addProbe(Gst.PadProbeType.EVENT_UPSTREAM, (_pad: GObj, info: GObj) => {
      const ev = info.getEvent();
      if (ev && GstVideo.videoEventIsForceKeyUnit(ev)) {
        const [, , allHeaders] = GstVideo.videoEventParseUpstreamForceKeyUnit(ev);
        // Out of the streaming thread's way: the event is built on the next loop turn.
        setImmediate(() => this.emit({ type: 'keyframeRequest', allHeaders: Boolean(allHeaders), pipeline, bin, element }));
      }
      return Gst.PadProbeReturn.OK;
    });
    return { pad, id };
  }

  /** The keyframe-request probes of a started bin, if it has none. */
  private arm(p: PipelineEntry, b: BinEntry): void {
    if (!b.started || b.probes.length) return;
    for (const { path, element } of walkElements(b.bin)) {
      if (factoryName(element) === 'udpsrc') b.probes.push(this.watchKeyframeRequests(p.id, b.name, path, element));
    }
  }

  private rearm(p: PipelineEntry): void {
    for (const b of p.bins.values()) this.arm(p, b);
  }

  /** Every probe of the pipeline off, then 50 ms for any callback already queued to the JS thread (engine-host-notes). */
  private async quiesce(p: PipelineEntry): Promise<void> {
    let removed = 0;
    for (const b of p.bins.values()) {
      for (const { pad, id } of b.probes) pad.removeProbe(id);
      removed += b.probes.length;
      b.probes = [];
    }
    if (removed) await sleep(QUIESCE_MS);
  }

  private async dropBin(p: PipelineEntry, b: BinEntry): Promise<void> {
    await this.quiesce(p);
    b.started = false;
    b.bin.setLockedState(true);
    b.bin.setState(Gst.State.NULL);
    for (const l of p.links.filter((x) => x.fromBin === b.name || x.toBin === b.name)) {
      padOps.unlink(l.srcPad, l.sinkPad);
      for (const q of l.requests) if (q.bin !== b.name) releaseRequest(p, q);
    }
    p.links = p.links.filter((x) => x.fromBin !== b.name && x.toBin !== b.name);
    p.pipeline.remove(b.bin);
    p.bins.delete(b.name);
    this.rearm(p);
  }

  private async dropPipeline(p: PipelineEntry): Promise<void> {
    this.pipelines.delete(p.id);
    await this.quiesce(p);
    p.bus.disconnect(p.busHandler);
    p.bus.removeSignalWatch();
    p.pipeline.setState(Gst.State.NULL);
    for (const b of p.bins.values()) p.pipeline.remove(b.bin);
    p.bins.clear();
    p.links = [];
    // A GstPipeline's bus holds a socket pair (its GstPoll) until the pipeline is
    // finalized, which node-gtk's wrappers put off indefinitely: a player that makes a
    // pipeline per play ran the process out of descriptors (2 per pipeline). Stopped,
    // emptied pipelines are kept and reused instead.
    if (this.spare.length < SPARE_PIPELINES) this.spare.push(p.pipeline);
  }

  /** Stopped, empty pipelines ready for reuse (see dropPipeline). */
  private readonly spare: GObj[] = [];

  private padFor(p: PipelineEntry, ref: PadRef, direction: number, requests: RequestPad[]): GObj {
    const b = this.bin(p, ref?.bin);
    const dirName = direction === Gst.PadDirection.SRC ? 'src' : 'sink';
    if (ref.element === undefined) {
      const name = ref.pad ?? dirName;
      const pad = b.bin.getStaticPad(name);
      if (!pad || pad.direction !== direction) {
        const have = padsOf(b.bin).filter((x) => x.direction === direction).map((x) => nameOf(x));
        throw new EngineError('NO_SUCH_PAD', `bin ${b.name} has no ${dirName} pad ${name} (it has: ${have.join(', ') || 'none'})`);
      }
      if (padOps.isLinked(pad)) throw new EngineError('LINK_FAILED', `${b.name}:${name} is already linked`);
      return pad;
    }
    const el = this.element(b, ref.element);
    const padName = ref.pad ?? dirName;
    let inner: GObj = padName.includes('%') ? null : el.getStaticPad(padName);
    if (!inner) {
      const template = el.getPadTemplate?.(padName);
      if (!template || template.direction !== direction) {
        throw new EngineError('NO_SUCH_PAD', `${b.name}/${ref.element} has no ${dirName} pad or template ${padName}`);
      }
      inner = el.requestPadSimple(padName);
      if (!inner) throw new EngineError('LINK_FAILED', `${b.name}/${ref.element} gave no pad for ${padName}`);
      const ghost = Gst.GhostPad.new(`${ref.element}.${nameOf(inner)}`, inner);
      padOps.setActive(ghost, true);
      b.bin.addPad(ghost);
      requests.push({ bin: b.name, element: el, pad: inner, ghost });
      return ghost;
    }
    if (inner.direction !== direction) throw new EngineError('NO_SUCH_PAD', `${b.name}/${ref.element}:${padName} is not a ${dirName} pad`);
    const ghost = Gst.GhostPad.new(`${ref.element}.${padName}`, inner);
    padOps.setActive(ghost, true);
    if (!b.bin.addPad(ghost)) throw new EngineError('LINK_FAILED', `${b.name}/${ref.element}:${padName} is already exposed`);
    requests.push({ bin: b.name, element: null, pad: inner, ghost });
    return ghost;
  }

  private propertyTarget(a: { pipeline: string; bin: string; element: string; pad?: string }): GObj {
    const b = this.bin(this.pipeline(a.pipeline), a.bin);
    const el = this.element(b, a.element ?? '');
    if (a.pad === undefined) return el;
    const pad = el.getStaticPad(a.pad);
    if (!pad) throw new EngineError('NO_SUCH_PAD', `${a.bin}/${a.element} has no pad ${a.pad}`);
    return pad;
  }

  private pipeline(id: string): PipelineEntry {
    const p = this.pipelines.get(id);
    if (!p) throw new EngineError('NO_SUCH_PIPELINE', `no pipeline ${String(id)}`);
    return p;
  }

  private bin(p: PipelineEntry, name: string): BinEntry {
    const b = p.bins.get(name);
    if (!b) throw new EngineError('NO_SUCH_BIN', `no bin ${String(name)} in pipeline ${p.id}`);
    return b;
  }

  /** `path` below the bin: `enc`, `inner/enc`; '' is the bin itself. */
  private element(b: BinEntry, path: string): GObj {
    if (!path) return b.bin;
    let el: GObj = b.bin;
    for (const part of path.split('/')) {
      el = el instanceof Gst.Bin ? el.getByName(part) : null;
      if (!el) throw new EngineError('NO_SUCH_ELEMENT', `no element ${path} in bin ${b.name}`);
    }
    return el;
  }
}

function checkName(what: string, name: unknown): void {
  if (typeof name !== 'string' || !NAME.test(name)) throw new EngineError('BAD_REQUEST', `bad ${what} id ${JSON.stringify(name)} (1-128 of A-Z a-z 0-9 _ . : -)`);
}

function describe(a: { bin: string; element: string; pad?: string }): string {
  return `${a.bin}/${a.element || '(bin)'}${a.pad ? `:${a.pad}` : ''}`;
}

function releaseRequest(p: PipelineEntry, q: RequestPad): void {
  const b = p.bins.get(q.bin);
  padOps.setActive(q.ghost, false);
  b?.bin.removePad(q.ghost);
  if (q.element) q.element.releaseRequestPad(q.pad);
}

function linkReturnName(r: number): string {
  const names: Record<number, string> = { [-1]: 'WRONG_HIERARCHY', [-2]: 'WAS_LINKED', [-3]: 'WRONG_DIRECTION', [-4]: 'NOFORMAT', [-5]: 'NOSCHED', [-6]: 'REFUSED' };
  return names[r] ?? String(r);
}

/** Ports of the bin's UDP elements: what udpsrc bound (port=0 asks the kernel) and where udpsink sends from. */
function portsOf(bin: GObj): BinPort[] {
  const ports: BinPort[] = [];
  for (const { path, element } of walkElements(bin)) {
    const f = factoryName(element);
    if (f === 'udpsrc') ports.push({ element: path, kind: 'receive', port: Number(readProperty(element, 'port')) });
    if (f === 'udpsink' || f === 'multiudpsink') {
      const sock = readProperty(element, 'used-socket') as GObj;
      const port = sock?.getLocalAddress?.()?.getPort?.();
      if (typeof port === 'number') ports.push({ element: path, kind: 'send', port });
    }
  }
  return ports;
}

function queryTimes(target: GObj): QueryResult {
  const ms = (ok: boolean, ns: bigint | number) => (ok && BigInt(ns) !== CLOCK_TIME_NONE && BigInt(ns) >= 0n ? Number(BigInt(ns) / 1000000n) : null);
  const [pOk, pos] = target.queryPosition(Gst.Format.TIME);
  const [dOk, dur] = target.queryDuration(Gst.Format.TIME);
  const q = Gst.Query.newSeeking(Gst.Format.TIME);
  let seekable = false;
  let start: number | null = null;
  let end: number | null = null;
  if (target.query(q)) {
    const [, s, st, en] = q.parseSeeking();
    seekable = Boolean(s);
    start = ms(true, st);
    end = ms(true, en);
  }
  return { positionMs: ms(pOk, pos), durationMs: ms(dOk, dur), seekable, seekStartMs: start, seekEndMs: end };
}
