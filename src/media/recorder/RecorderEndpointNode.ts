import { access, constants } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KurentoError } from '../../shared/KurentoError.ts';
import type { MediaKind, NodeOpHandlers, RecorderEndpointOptions } from '../../shared/workerProtocol.ts';
import { MediaNode, type EmitFn, type FormatSet } from '../graph/MediaNode.ts';
import type { Edge } from '../graph/Edge.ts';
import type { MediaPacket, RtpCodecInfo } from '../graph/MediaPacket.ts';
import { FlowMonitor } from '../graph/FlowMonitor.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import type { EngineBin } from '../engine/EngineBin.ts';
import { RtpBridge } from '../engine/RtpBridge.ts';
import { ENGINE_PT, ENGINE_SSRC, type Kind } from '../transcode/formats.ts';
import { StreamRewriter } from '../rtpEndpoint/StreamRewriter.ts';
import { startsKeyframe } from '../graph/keyframes.ts';
import { videoStartBitrate } from '../transcode/EncoderControl.ts';
import { profilePlan, recorderDescription, type ProfilePlan } from './profiles.ts';
import { HttpUpload } from './HttpUpload.ts';
import { shortId } from '../engine/shortId.ts';

/** How long a recording waits, from the first media type's first packet, for the others before recording those that arrived (ms). */
const TRACK_WAIT_MS = 3000;
/** After a pause, the recording goes on this long after its last packet (ms): one video frame at 30 fps. */
const RESUME_GAP_MS = 33;
/** While waiting for a keyframe, it is asked for again this often (ms). */
const KEYFRAME_RETRY_MS = 500;
/** How long a stop waits for the engine to take what was sent, and how often it looks (ms). */
const DRAIN_MAX_MS = 3000;
const DRAIN_POLL_MS = 150;
/** How long a stop waits for the muxer to write its end (index, duration) (ms). */
const FINISH_TIMEOUT_MS = 10_000;
/** Packets held while the first keyframe's pin is set (a few ms; a bound if the engine is slow to answer). */
const HOLD_MAX = 1000;

type State = 'STOP' | 'START' | 'PAUSE';

/** One recording: from `record` (in STOP) to the end of its stop. */
interface Session {
  bin: EngineBin | undefined;
  bridges: Partial<Record<Kind, RtpBridge>>;
  /** Per track, one continuous RTP stream into the engine across source switches and pauses. */
  rewriters: Partial<Record<Kind, StreamRewriter>>;
  upload: HttpUpload | undefined;
  /** Tracks of this recording and the format each carries, once known. */
  tracks: Map<Kind, RtpCodecInfo | undefined>;
  startTimer: NodeJS.Timeout | undefined;
  /** When the current pause began. */
  pausedAt: number | undefined;
  /** Waiting for a video keyframe before anything goes in (at the start, and after a pause). */
  gated: boolean;
  /** Stopping: nothing more goes in. */
  stopping: boolean;
  /** Asks for that keyframe again until it comes (a sender may ignore a request, as libwebrtc does within 300 ms of the last). */
  keyframeTimer: NodeJS.Timeout | undefined;
  eos: Promise<void>;
  eosSeen: () => void;
  finished: Promise<void> | undefined;
  /** Whether the video chain's `pin` element was set (#pin). */
  pinned: boolean;
  /** Packets held while `pin` is being set: the first keyframe and what follows it. */
  held: Array<{ kind: Kind; pkt: MediaPacket }> | undefined;
}

/**
 * The media side of a RecorderEndpoint: its input's RTP is muxed by a bin of the media
 * engine into the profile's container, written to a file or streamed to an HTTP URL.
 * Formats the container takes pass through (the node accepts only those, so the graph
 * transcodes anything else first). The recording starts when every connected media
 * type has sent its first packet, or TRACK_WAIT_MS after the first one with those that
 * have (Kurento waits for ever for all, and its users get empty files). Each track goes
 * to the engine as one continuous RTP stream (StreamRewriter): a source switch, or a
 * pause (nothing is sent while paused, and the next packet continues right after the
 * last), leaves no jump in the file's timestamps; stop sends EOS so the muxer writes its
 * index and duration.
 */
export class RecorderEndpointNode extends MediaNode {
  readonly #opts: RecorderEndpointOptions;
  readonly #plan: ProfilePlan;
  readonly #engine: NodeEngine;
  readonly #flow: FlowMonitor;
  #state: State = 'STOP';
  #session: Session | undefined;
  #count = 0;

  constructor(id: string, emit: EmitFn, options: RecorderEndpointOptions, engine: NodeEngine) {
    super(id, emit, 'RecorderEndpoint');
    const plan = profilePlan(options.mediaProfile);
    if (!plan) throw new KurentoError('NOT_IMPLEMENTED', `media profile ${options.mediaProfile} is not supported`);
    this.#opts = options;
    this.#plan = plan;
    this.#engine = engine;
    this.#flow = FlowMonitor.reporting(this.emit);
  }

  override accepts(kind: Kind): FormatSet {
    return (kind === 'VIDEO' ? this.#plan.video : this.#plan.audio)?.accepts ?? [];
  }

  override produces(): FormatSet {
    return [];
  }

  override deliver(kind: Kind, pkt: MediaPacket): void {
    this.#flow.packet('in', kind);
    const s = this.#session;
    if (!s || !s.tracks.has(kind)) return;
    if (!s.bin) {
      if (s.tracks.get(kind) === undefined) {
        s.tracks.set(kind, pkt.codec);
        if ([...s.tracks.values()].every((c) => c !== undefined)) void this.#begin(s);
        // The first media type came: do not wait for ever for another that never
        // comes, record what did. Counted from here, not from record(): a source that
        // starts late (a hub's mix on a loaded machine, a peer still connecting) lost
        // every track to a timer that fired before any packet, and nothing was recorded.
        else s.startTimer ??= setTimeout(() => {
          for (const [k, c] of s.tracks) if (c === undefined) s.tracks.delete(k);
          void this.#begin(s);
        }, TRACK_WAIT_MS);
      }
      return;
    }
    if (!s.bridges[kind] || this.#state !== 'START' || s.stopping) return;
    if (s.held) {
      if (s.held.length < HOLD_MAX) s.held.push({ kind, pkt });
      return;
    }
    if (s.gated) {
      // The file starts (and goes on after a pause) with a keyframe, and audio with it:
      // a picture that cannot decode is not recorded.
      if (kind !== 'VIDEO' || !startsKeyframe(pkt.codec.name, pkt.buf)) return;
      const pinning = this.#pin(s, pkt);
      if (pinning) {
        s.held = [{ kind, pkt }];
        void pinning.then(() => this.#unhold(s));
        return;
      }
      this.#openGate(s);
    }
    this.#send(s, kind, pkt);
  }

  /** One packet into the engine, as part of its kind's continuous stream. */
  #send(s: Session, kind: Kind, pkt: MediaPacket): void {
    const bridge = s.bridges[kind];
    if (!bridge) return;
    const out = Buffer.from(pkt.buf);
    (s.rewriters[kind] ??= new StreamRewriter(ENGINE_SSRC, pkt.codec.clockRate)).rewrite(out, ENGINE_PT[kind]);
    bridge.send(out, true);
  }

  override inputChanged(kind: MediaKind, edge: Edge | undefined): void {
    // A new source while recording: its first picture must be a keyframe.
    if (kind === 'VIDEO' && edge && this.#session?.bin) edge.requestKeyframe(this);
  }

  override endOfStream(_edge: Edge): void {
    if (this.#opts.stopOnEndOfStream && this.#state !== 'STOP') void this.#stop().catch(() => undefined);
  }

  /** What this recorder gets from the graph stopped. */
  override upstreamLost(kind: 'AUDIO' | 'VIDEO'): void {
    this.#flow.stop('in', kind);
  }

  protected override operations(): NodeOpHandlers<'RecorderEndpoint'> {
    return {
      ...super.operations(),
      // Fluo's additions to ElementStats: packets received per media type (what a recording can hold).
      getStats: (a) => ({ [this.id]: { ...this.elementStats(a.mediaType ?? null), audioPacketsIn: this.#flow.count('in', 'AUDIO'), videoPacketsIn: this.#flow.count('in', 'VIDEO') } }),
      record: () => this.#record(),
      pause: () => { this.#pause(); return null; },
      stop: () => { void this.#stop().catch(() => undefined); return null; },
      stopAndWait: async () => { await this.#stop(); return null; },
    };
  }

  #setState(state: State): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit('UriEndpointStateChanged', { state });
  }

  async #record(): Promise<null> {
    if (this.#state === 'START') return null;
    if (this.#state === 'PAUSE') {
      this.#resume();
      return null;
    }
    if (this.#session?.finished) await this.#session.finished.catch(() => undefined);
    const url = new URL(this.#opts.uri);
    let upload: HttpUpload | undefined;
    if (url.protocol === 'file:') await checkWritable(fileURLToPath(url));
    else upload = await HttpUpload.open(url, (err) => this.#error('RECORDER_UPLOAD_ERROR', `Uploading the recording to ${url.origin}${url.pathname} failed: ${err.message}`)).catch((err: Error) => {
      throw new KurentoError('MEDIA_OBJECT_ILLEGAL_PARAM_ERROR', `Cannot upload to ${url.origin}${url.pathname}: ${err.message}`);
    });
    // The tracks: the profile's media types that have a source connected (all of them when none has yet).
    const kinds = (['VIDEO', 'AUDIO'] as const).filter((k) => (k === 'VIDEO' ? this.#plan.video : this.#plan.audio) !== undefined);
    const connected = kinds.filter((k) => this.input(k));
    let eosSeen!: () => void;
    const eos = new Promise<void>((r) => { eosSeen = r; });
    const s: Session = {
      bin: undefined, bridges: {}, rewriters: {}, upload, tracks: new Map((connected.length ? connected : kinds).map((k) => [k, undefined])),
      startTimer: undefined, pausedAt: undefined, gated: true, stopping: false, keyframeTimer: undefined, eos, eosSeen, finished: undefined, pinned: false, held: undefined,
    };
    this.#session = s;
    this.readySince = Infinity;
    this.#setState('START');
    return null;
  }

  /** Builds the engine bin once the tracks' formats are known. */
  async #begin(s: Session): Promise<void> {
    if (s.bin || s !== this.#session || s.finished) return;
    clearTimeout(s.startTimer);
    const tracks = [...s.tracks].filter((t): t is [Kind, RtpCodecInfo] => t[1] !== undefined).map(([kind, codec]) => ({ kind, codec }));
    try {
      for (const t of tracks) s.bridges[t.kind] = await RtpBridge.open(() => undefined);
      const sink = s.upload ? s.upload.sinkDescription() : `filesink location="${fileURLToPath(new URL(this.#opts.uri))}" buffer-mode=unbuffered sync=false`;
      const description = recorderDescription(s.upload ? streamable(this.#plan) : this.#plan, tracks, sink, videoStartBitrate(this.encoderBitrates));
      const bin = await this.#engine.engine.addBin(this.#engine.pipeline, `recorder-${this.#count++}-${shortId(this.id)}`, description, {
        event: (e) => {
          // The depayloader lost the picture (or never had a keyframe): ask the source.
          if (e.type === 'keyframeRequest') this.input('VIDEO')?.requestKeyframe(this);
          // The bin's own EOS: its sinks' own come first, and one of several is not the end.
          else if (e.type === 'eos' && e.element === '') s.eosSeen();
          else if (e.type === 'error') {
            this.#error('RECORDER_ERROR', `Recording to ${this.#opts.uri} failed: ${e.message}`);
            // A branch that failed never brings its EOS to the muxer: a stop does not wait for it.
            s.eosSeen();
          }
        },
        exit: (exit) => {
          s.eosSeen();
          this.#error('MEDIA_ENGINE_ERROR', `The media engine process recording to ${this.#opts.uri} stopped: ${exit.description}`);
        },
      });
      s.bin = bin;
      for (const t of tracks) s.bridges[t.kind]!.connect(bin.port(`in_${t.kind.toLowerCase()}`) ?? 0, 0, ENGINE_PT[t.kind]);
      for (const t of tracks) {
        const plan = t.kind === 'VIDEO' ? this.#plan.video : this.#plan.audio;
        if (plan?.transcodes(t.codec)) this.emit('MediaTranscodingStateChanged', { state: 'TRANSCODING', binName: bin.name, mediaType: t.kind });
      }
      if (s !== this.#session) return;
      // Ready since now: a keyframe asked for before the bin existed never reached it, so
      // this request is not coalesced with that one (SdpEndpointNode.requestKeyframe).
      this.readySince = performance.now();
      if (tracks.some((t) => t.kind === 'VIDEO')) this.#awaitKeyframe(s);
      else this.#openGate(s);
    } catch (err) {
      this.#error('RECORDER_ERROR', `Recording to ${this.#opts.uri} could not start: ${err instanceof Error ? err.message : String(err)}`);
      void this.#teardown(s);
      if (this.#session === s) {
        this.#session = undefined;
        this.#setState('STOP');
      }
    }
  }

  #pause(): void {
    const s = this.#session;
    if (this.#state !== 'START' || !s) return;
    s.pausedAt = performance.now();
    s.held = undefined;
    this.#setState('PAUSE');
    this.emit('Paused', {});
  }

  #resume(): void {
    const s = this.#session!;
    s.pausedAt = undefined;
    // What arrives after the pause continues right after what was recorded before it
    // (the engine's jitter buffer times packets by their RTP timestamps): no gap.
    for (const r of Object.values(s.rewriters)) r?.splice(RESUME_GAP_MS);
    this.#setState('START');
    if (s.bin && s.tracks.has('VIDEO')) {
      // Frames after the pause refer to pictures that were not recorded: start again at a keyframe.
      s.gated = true;
      this.#awaitKeyframe(s);
    } else if (s.bin) this.#openGate(s);
  }

  #awaitKeyframe(s: Session): void {
    clearInterval(s.keyframeTimer);
    this.input('VIDEO')?.requestKeyframe(this);
    s.keyframeTimer = setInterval(() => this.input('VIDEO')?.requestKeyframe(this), KEYFRAME_RETRY_MS);
  }

  /**
   * The recording's video keeps what its first keyframe says (profiles.ts TrackPlan.pin:
   * the picture size an encoder scales to, or the caps a muxer keeps across a sender's
   * resolution change): set once on the chain's `pin` element, and the keyframe and what
   * follows are held until the engine has it, so the first caps are already the pinned
   * ones. Undefined when there is nothing to set.
   */
  #pin(s: Session, pkt: MediaPacket): Promise<void> | undefined {
    if (s.pinned || !s.bin) return undefined;
    const caps = this.#plan.video?.pin?.(pkt.codec, pkt.buf);
    if (!caps) return undefined;
    s.pinned = true;
    return s.bin.setProperty('pin', 'caps', caps).catch(() => undefined);
  }

  /** The pin is set: the held packets go in, the keyframe first. */
  #unhold(s: Session): void {
    const held = s.held ?? [];
    s.held = undefined;
    // Paused, stopped or replaced meanwhile: the next keyframe starts the file instead.
    if (s !== this.#session || this.#state !== 'START' || s.stopping || !s.gated || !held.length) return;
    this.#openGate(s);
    for (const h of held) this.#send(s, h.kind, h.pkt);
  }

  /** Recording for real: what arrives now goes into the file. */
  #openGate(s: Session): void {
    clearInterval(s.keyframeTimer);
    s.gated = false;
    this.emit('Recording', {});
  }

  /** Ends the recording: EOS through the muxer, so the file gets its index and duration. */
  #stop(): Promise<void> {
    const s = this.#session;
    if (!s) return Promise.resolve();
    s.finished ??= this.#finish(s);
    return s.finished;
  }

  async #finish(s: Session): Promise<void> {
    clearTimeout(s.startTimer);
    s.stopping = true;
    try {
      if (s.bin?.alive) {
        await this.#drain(s);
        await s.bin.eos();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([s.eos, new Promise<void>((r) => { timer = setTimeout(r, FINISH_TIMEOUT_MS); })]);
        clearTimeout(timer);
      }
      if (s.upload && s.bin) await s.upload.finish();
    } catch (err) {
      this.#error('RECORDER_ERROR', `Finishing the recording to ${this.#opts.uri} failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      await this.#teardown(s);
      if (this.#session === s) this.#session = undefined;
      this.#setState('STOP');
      this.emit('Stopped', {});
    }
  }

  /**
   * Waits until the engine has taken what was sent to it: EOS travels from the bin's
   * sources, and packets still in their sockets (a loaded engine lags) would be cut from
   * the end of the file. Done when the jitter buffers' pushed counts stop moving.
   */
  async #drain(s: Session): Promise<void> {
    const deadline = performance.now() + DRAIN_MAX_MS;
    let last = -1;
    for (;;) {
      const pushed = sumOf(await s.bin!.counters().catch(() => ({})), 'num-pushed');
      if (pushed === last || performance.now() > deadline) return;
      last = pushed;
      await new Promise((r) => setTimeout(r, DRAIN_POLL_MS));
    }
  }

  async #teardown(s: Session): Promise<void> {
    clearTimeout(s.startTimer);
    clearInterval(s.keyframeTimer);
    this.readySince = 0;
    for (const b of Object.values(s.bridges)) b?.close();
    await s.bin?.remove();
    s.upload?.close();
  }

  #error(type: string, description: string): void {
    this.emit('Error', { description, errorCode: 40003, type });
  }

  protected override async onClose(): Promise<void> {
    this.#flow.close();
    // A released recorder still finishes its file: what was recorded stays playable.
    if (this.#session) await this.#stop();
  }
}

/** A file's folder must exist and be writable, and the file writable if it exists. */
async function checkWritable(path: string): Promise<void> {
  try {
    await access(dirname(path), constants.W_OK);
    await access(path, constants.W_OK).catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err; });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'its folder does not exist' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOTDIR' ? 'a part of the path is not a folder' : (err as Error).message;
    throw new KurentoError('URI_PATH_FILE_NOT_FOUND', `Cannot record to ${path}: ${why}`);
  }
}

/** Muxing into a pipe cannot seek back to fix the header: the streamable variant. */
function streamable(plan: ProfilePlan): ProfilePlan {
  if (!plan.mux) return plan;
  return { ...plan, mux: `${plan.mux.replace(/ streamable=\w+/, '')} streamable=true` };
}


/** The sum of every numeric field named `key` anywhere in `value` (engine counters as JSON). */
function sumOf(value: unknown, key: string): number {
  if (!value || typeof value !== 'object') return 0;
  let n = 0;
  for (const [k, v] of Object.entries(value)) n += k === key && typeof v === 'number' ? v : sumOf(v, key);
  return n;
}
