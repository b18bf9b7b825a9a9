import { randomInt } from 'node:crypto';
import { KurentoError } from '../../shared/KurentoError.ts';
import { DestinationPolicy, refusedHost } from '../../shared/DestinationPolicy.ts';
import type { NodeOpHandlers, PlayerEndpointOptions, VideoInfo } from '../../shared/workerProtocol.ts';
import { MediaNode, type EmitFn, type FormatSet } from '../graph/MediaNode.ts';
import type { MediaPacket } from '../graph/MediaPacket.ts';
import { FlowMonitor } from '../graph/FlowMonitor.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import type { EngineBin } from '../engine/EngineBin.ts';
import { RtpBridge } from '../engine/RtpBridge.ts';
import type { EngineAction, EngineResult } from '../../engine/protocol.ts';
import { StreamRewriter } from '../rtpEndpoint/StreamRewriter.ts';
import { ENGINE_PT, type Kind } from '../transcode/formats.ts';
import { probeSource, redact, type SourceInfo } from './probeSource.ts';
import { forceKeyframe, playerPlan, type PlayerPlan } from './playerBin.ts';

/** After a seek the stream continues this far after its last packet (one frame at 30 fps), whatever the new timestamps. */
const SEEK_GAP_MS = 33;
const BIN = 'player';
/** The seek back to 0 after the start is tried this often, this far apart (ms). */
const RESTART_TRIES = 10;
const RESTART_RETRY_MS = 100;

type State = 'STOP' | 'START' | 'PAUSE';

/** One play: from `play` in STOP to its stop, end of stream or failure. */
interface Session {
  /** The engine pipeline of this play: a player has a pipeline of its own (see the class comment). */
  readonly pipeline: string;
  readonly plan: PlayerPlan;
  bin: EngineBin | undefined;
  readonly bridges: Partial<Record<Kind, RtpBridge>>;
  /** One continuous RTP stream per track, with this play's SSRC, across seeks (RFC 3550 §5.1). */
  readonly rewriters: Partial<Record<Kind, StreamRewriter>>;
  lastKeyframe: number;
  /** The last position known (ms): a seek's target until the sinks report the new one. */
  position: number;
  gone: boolean;
}

/**
 * The media side of a PlayerEndpoint (KMD elements: "PlayerEndpoint will access the
 * given resource, read all available data, and inject it into Kurento"). Its URI is
 * probed first (probeSource: the tracks, seekability, a clear error for a missing
 * file, a 404, an unreachable RTSP server, a file that is not media), then an engine
 * bin reads, demuxes and decodes or parses it and sends RTP to this node over
 * loopback (RtpBridge), paced by `udpsink sync=true`; the node forwards the packets
 * into the graph, which transcodes for any sink that needs another format.
 *
 * Each play gets an engine pipeline of its own (KMD: getElementGstreamerDot is "this
 * element's private pipeline"): pause, resume and seek are state changes and seeks of
 * that whole pipeline, so GStreamer gives it a new base time on each resume (a sink
 * with sync=true would otherwise send everything it is late for at once), and a
 * pipeline other elements live in is never paused.
 */
export class PlayerEndpointNode extends MediaNode {
  readonly #opts: PlayerEndpointOptions;
  readonly #engine: NodeEngine;
  readonly #flow: FlowMonitor;
  readonly #shown: string;
  #state: State = 'STOP';
  #info: Promise<SourceInfo> | undefined;
  #plan: PlayerPlan | undefined;
  #session: Session | undefined;
  #starting: Promise<void> | undefined;
  #count = 0;

  constructor(id: string, emit: EmitFn, options: PlayerEndpointOptions, engine: NodeEngine) {
    super(id, emit, 'PlayerEndpoint');
    this.#opts = options;
    this.#engine = engine;
    this.#shown = redact(new URL(options.uri));
    this.#flow = FlowMonitor.reporting(this.emit);
    // Probed now, so that sinks connected before `play` are routed for the formats it will send.
    void this.#probe().catch(() => undefined);
  }

  override accepts(): FormatSet {
    return [];
  }

  /** The formats of this URI's tracks once probed (VP8 / Opus until then: what a decoding player sends). */
  override produces(kind: Kind): FormatSet {
    if (!this.#plan) return kind === 'VIDEO' ? [{ name: 'VP8', clockRate: 90000 }] : [{ name: 'opus', clockRate: 48000, channels: 2 }];
    const t = this.#plan.tracks.find((x) => x.kind === kind);
    return t ? [t.codec] : [];
  }

  override deliver(): void {}

  /** A sink wants a keyframe: the encoder makes one when the player encodes. */
  override requestKeyframe(): void {
    const s = this.#session;
    if (s) s.lastKeyframe = forceKeyframe(s.bin, s.plan.tracks, s.lastKeyframe);
  }

  override reportBandwidth(): void {}

  protected override operations(): NodeOpHandlers<'PlayerEndpoint'> {
    return {
      ...super.operations(),
      getStats: (a) => ({ [this.id]: this.elementStats(a.mediaType ?? null) }),
      play: async () => { await this.#play(); return null; },
      pause: async () => { await this.#pause(); return null; },
      stop: async () => { await this.#stop(); return null; },
      getVideoInfo: () => this.#videoInfo(),
      getPosition: () => this.#position(),
      setPosition: async (a) => { await this.#seek(a.position); return null; },
      getElementGstreamerDot: async () => (this.#session ? await this.#engine.engine.dot(this.#session.pipeline) : undefined) ?? `digraph "${this.id}" {\n  label="PlayerEndpoint (${this.#state}): no engine pipeline";\n}\n`,
    };
  }

  #probe(): Promise<SourceInfo> {
    // The host is checked before anything is fetched, the probe included (issue 16: a
    // control-socket client must not make the server reach a denied network).
    this.#info ??= this.#allowed().then(() => probeSource(this.#opts.uri)).then((info) => {
      this.#plan = playerPlan(this.#opts.uri, info, this.#opts.useEncodedMedia, this.#opts.networkCache);
      this.formatsChanged();
      return info;
    }, (err: unknown) => {
      // Probed again at the next play: the file may be there by then.
      this.#info = undefined;
      throw err;
    });
    return this.#info;
  }

  async #allowed(): Promise<void> {
    const { deny, allow } = this.#opts.destinations ?? { deny: [], allow: [] };
    const why = await refusedHost(new DestinationPolicy(deny, allow), new URL(this.#opts.uri).hostname);
    if (why) throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `'uri' refused: ${why}`);
  }

  #setState(state: State): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('UriEndpointStateChanged', { state });
  }

  async #play(): Promise<void> {
    if (this.#starting) return this.#starting;
    if (this.#state === 'PAUSE') return this.#resume();
    if (this.#state === 'START') return;
    this.#starting = this.#start().finally(() => { this.#starting = undefined; });
    return this.#starting;
  }

  async #start(): Promise<void> {
    let info: SourceInfo;
    try {
      info = await this.#probe();
    } catch (err) {
      const e = err instanceof KurentoError ? err : new KurentoError('UNEXPECTED_ERROR', `Cannot play ${this.#shown}: ${String(err)}`);
      this.#error(e.type, e.message);
      throw e;
    }
    const plan = this.#plan!;
    const ssrc = { VIDEO: randomInt(1, 0xffffffff), AUDIO: randomInt(1, 0xffffffff) };
    const s: Session = {
      pipeline: `${this.#engine.pipeline}.player-${this.#count++}-${this.id.replace(/^.*\//, '').slice(0, 8)}`.replace(/[^A-Za-z0-9_.:-]/g, '_'),
      plan, bin: undefined, bridges: {}, rewriters: {},
      lastKeyframe: -Infinity, position: 0, gone: false,
    };
    this.#session = s;
    try {
      for (const t of plan.tracks) {
        s.bridges[t.kind] = await RtpBridge.open((buf) => this.#fromEngine(s, t.kind, buf));
        s.rewriters[t.kind] = new StreamRewriter(ssrc[t.kind], t.codec.clockRate);
      }
      const bin = await this.#engine.engine.addBin(s.pipeline, BIN, plan.describe((t) => s.bridges[t.kind]?.port ?? 0, ssrc), {
        event: (e) => {
          // The bin's own EOS (element '') comes once all its sinks have theirs: a track
          // shorter than the other (each sink's own EOS comes too) does not end the stream.
          if (e.type === 'eos') { if (e.element === '') void this.#ended(s); }
          else if (e.type === 'error') this.#fail(s, 'UNEXPECTED_ERROR', `Playing ${this.#shown} failed: ${e.message}`);
        },
        exit: (exit) => this.#fail(s, 'UNEXPECTED_ERROR', `The media engine process playing ${this.#shown} stopped: ${exit.description}`),
      });
      s.bin = bin;
      if (s.gone) {
        await this.#teardown(s);
        return;
      }
      for (const t of plan.tracks) s.bridges[t.kind]!.connect(0, bin.port(t.sink) ?? 0, ENGINE_PT[t.kind]);
      this.#setState('START');
      // What the bin sent before its port was known was dropped by the bridge: a seekable
      // source starts again from the beginning; an encoder makes a keyframe.
      if (info.seekable && plan.tracks.some((t) => !t.encodes)) void this.#restart(s);
      else this.requestKeyframe();
    } catch (err) {
      const message = `Cannot play ${this.#shown}: ${err instanceof Error ? err.message : String(err)}`;
      this.#error('UNEXPECTED_ERROR', message);
      await this.#teardown(s);
      if (this.#session === s) this.#session = undefined;
      this.#setState('STOP');
      throw new KurentoError('UNEXPECTED_ERROR', message);
    }
  }

  /**
   * Seeks back to 0 once the demuxer takes seeks (qtdemux refuses them until it has read
   * the moov): the file's first keyframe, sent before the bridge knew the bin's port, was
   * dropped, and a pass-through track has no encoder to make another.
   */
  async #restart(s: Session): Promise<void> {
    for (let i = 0; i < RESTART_TRIES && !s.gone && this.#session === s; i++) {
      if (await this.#seek(0).then(() => true, () => false)) return;
      await new Promise((r) => setTimeout(r, RESTART_RETRY_MS));
    }
  }

  #fromEngine(s: Session, kind: Kind, buf: Buffer): void {
    const track = s.plan.tracks.find((t) => t.kind === kind);
    if (s.gone || !track) return;
    s.rewriters[kind]!.rewrite(buf, ENGINE_PT[kind]);
    this.#flow.packet('out', kind);
    const pkt: MediaPacket = { codec: track.codec, buf, at: performance.now() };
    this.forward(kind, pkt);
  }

  /** A state change, seek or query of this play's whole engine pipeline. */
  #action(s: Session, action: EngineAction): Promise<EngineResult<'action'>> {
    if (!s.bin?.alive) return Promise.reject(new Error('the engine pipeline is gone'));
    return s.bin.engine.request('action', { pipeline: s.pipeline, action });
  }

  async #pause(): Promise<void> {
    const s = this.#session;
    if (this.#state !== 'START' || !s) return;
    await this.#action(s, { kind: 'state', state: 'PAUSED' });
    this.#setState('PAUSE');
  }

  async #resume(): Promise<void> {
    const s = this.#session!;
    // The engine's timestamps leave out the paused time (GStreamer's running time stops
    // with the clock); the viewers' clocks did not stop. The next packets continue after
    // the last by the wall time elapsed, as after a source switch, so a receiver's RTP to
    // arrival-time mapping holds: without it, every later jump that does count wall time
    // (a play after stop, a source switch) looked early by the paused time, and
    // libwebrtc held those frames that long before showing them.
    for (const r of Object.values(s.rewriters)) r?.restart();
    await this.#action(s, { kind: 'state', state: 'PLAYING' });
    this.#setState('START');
  }

  async #seek(positionMs: number): Promise<void> {
    const s = this.#session;
    const info = await this.#probe().catch(() => undefined);
    if (!s?.bin || !info?.seekable || !(positionMs >= 0)) {
      // KMD PlayerEndpoint.position; Kurento answers PLAYER_SEEK_FAIL (40700) where it cannot seek.
      const why = !info?.seekable ? `${this.#shown} is not seekable` : !s?.bin ? 'the player is stopped' : `bad position ${positionMs}`;
      throw new KurentoError('PLAYER_SEEK_FAIL', `The seek cannot be performed: ${why}`);
    }
    const playing = this.#state === 'START';
    try {
      // Paused around the seek: its flush restarts the running time at 0 (reset-time), and
      // only a PAUSED -> PLAYING change gives the pipeline the base time that matches it;
      // sinks that never preroll (async=false) would not make the pipeline do it.
      if (playing) await this.#action(s, { kind: 'state', state: 'PAUSED' });
      const target = Math.min(positionMs, info.durationMs ?? positionMs);
      await this.#action(s, { kind: 'seek', positionMs: target });
      s.position = target;
      // The RTP timestamps restart with the running time: the rewriters keep one stream going.
      for (const r of Object.values(s.rewriters)) r?.splice(SEEK_GAP_MS);
      if (playing) await this.#action(s, { kind: 'state', state: 'PLAYING' });
    } catch (err) {
      // A refused seek leaves the stream where it was, playing if it was.
      if (playing) await this.#action(s, { kind: 'state', state: 'PLAYING' }).catch(() => undefined);
      throw new KurentoError('PLAYER_SEEK_FAIL', `The seek cannot be performed: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.requestKeyframe();
  }

  async #position(): Promise<number> {
    const s = this.#session;
    if (!s?.bin?.alive) return 0;
    // Right after a seek (or the start) the sinks have no position yet: the last one known stands.
    const q = await this.#action(s, { kind: 'query' }).catch(() => undefined);
    s.position = q?.query?.positionMs ?? s.position;
    return s.position;
  }

  async #videoInfo(): Promise<VideoInfo> {
    const info = await this.#probe();
    const s = this.#session;
    const q = s?.bin?.alive ? (await this.#action(s, { kind: 'query' }).catch(() => undefined))?.query : undefined;
    const duration = q?.durationMs ?? info.durationMs ?? 0;
    return { isSeekable: info.seekable, seekableInit: 0, seekableEnd: info.seekable ? duration : 0, duration };
  }

  async #ended(s: Session): Promise<void> {
    if (s.gone) return;
    this.emit('EndOfStream', {});
    // Sinks learn it too: a RecorderEndpoint with stopOnEndOfStream finishes its file.
    this.signalEndOfStream();
    await this.#stop();
  }

  #fail(s: Session, type: string, description: string): void {
    if (s.gone) return;
    this.#error(type, description);
    if (this.#session === s) void this.#stop();
  }

  async #stop(): Promise<void> {
    if (this.#starting) await this.#starting.catch(() => undefined);
    const s = this.#session;
    this.#session = undefined;
    if (s) await this.#teardown(s);
    this.#setState('STOP');
  }

  async #teardown(s: Session): Promise<void> {
    s.gone = true;
    for (const b of Object.values(s.bridges)) b?.close();
    await s.bin?.remove();
    await this.#engine.engine.releasePipeline(s.pipeline).catch(() => undefined);
  }

  #error(type: string, description: string): void {
    let errorCode = 40003;
    try {
      errorCode = new KurentoError(type as ConstructorParameters<typeof KurentoError>[0], description).code;
    } catch {
      // Not a Kurento type name: UNEXPECTED_ERROR's code.
    }
    this.emit('Error', { description, errorCode, type });
  }

  protected override async onClose(): Promise<void> {
    this.#flow.close();
    // A play still starting finishes first, so that its engine pipeline is freed too.
    await this.#stop();
  }
}
