import { randomInt } from 'node:crypto';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes } from '../../shared/KurentoError.ts';
import type { HttpPostEndpointOptions, NodeOpHandlers } from '../../shared/workerProtocol.ts';
import { MediaNode, type EmitFn, type FormatSet } from '../graph/MediaNode.ts';
import { FlowMonitor } from '../graph/FlowMonitor.ts';
import type { NodeEngine } from '../engine/NodeEngine.ts';
import type { EngineBin } from '../engine/EngineBin.ts';
import { RtpBridge } from '../engine/RtpBridge.ts';
import { StreamRewriter } from '../rtpEndpoint/StreamRewriter.ts';
import { ENGINE_PT, type Kind } from '../transcode/formats.ts';
import { forceKeyframe, playerPlan, type PlayerPlan, type PlayerTrack } from '../player/playerBin.ts';

const BIN = 'httppost';

/**
 * What an upload is planned as before a byte of it is read: a WebM of VP8 and Opus (what
 * browsers' MediaRecorder makes). Decoding, any codec decodebin reads becomes VP8 / Opus;
 * with useEncodedMedia VP8 and Opus pass as they are, and a track in another codec (VP9,
 * H.264) is decoded and encoded to VP8 / Opus by the plan's decoding twin.
 */
const UPLOAD = { video: { codec: 'vp8' }, audio: { codec: 'opus' }, durationMs: null, seekable: false, live: false } as const;

/** One upload: from the first POST to its EndOfStream (or failure). */
interface Session {
  readonly pipeline: string;
  readonly fifo: string;
  /**
   * Our own descriptor on the FIFO (O_RDWR): while it is open the engine never reads EOF,
   * so a lost POST can be resumed by the next one (KMD disconnectionTimeout); closing it
   * (and the HTTP side closing its own) ends the stream.
   */
  keeper: number | undefined;
  bin: EngineBin | undefined;
  /** One per branch (by its sink): a kind may have two, only one of which carries media. */
  readonly bridges: Map<string, RtpBridge>;
  readonly rewriters: Partial<Record<Kind, StreamRewriter>>;
  /** The kinds that carried media, and those whose stream has ended. */
  readonly carried: Set<Kind>;
  readonly ended: Set<Kind>;
  resumeTimer: NodeJS.Timeout | undefined;
  lastKeyframe: number;
  gone: boolean;
}

/**
 * The media side of an HttpPostEndpoint (KMD: "provide access to an HTTP file upload
 * function"). The HTTP server (main thread, HttpEndpointServer) writes each POST's body
 * into a named FIFO this node makes; an engine bin reads it (uridecodebin on the FIFO,
 * then playerBin's branches: decode and encode to VP8 / Opus, or pass through with
 * useEncodedMedia), paced in real time by `udpsink sync=true`, and sends RTP to this
 * node over loopback (RtpBridge), which forwards it into the graph. The body's bytes
 * never pass through the worker: they go from the HTTP socket to the FIFO.
 *
 * EndOfStream (KMD HttpPostEndpoint events) comes once the body's end has been played
 * out; a POST whose connection is lost may be resumed by another within
 * disconnectionTimeout, else the stream ends there. A POST after EndOfStream starts a
 * new upload with a new engine pipeline.
 */
export class HttpPostEndpointNode extends MediaNode {
  readonly #opts: HttpPostEndpointOptions;
  readonly #engine: NodeEngine;
  readonly #flow: FlowMonitor;
  readonly #plan: PlayerPlan;
  #dir: string | undefined;
  #session: Session | undefined;
  #starting: Promise<Session> | undefined;
  #count = 0;

  constructor(id: string, emit: EmitFn, options: HttpPostEndpointOptions, engine: NodeEngine) {
    super(id, emit, 'HttpPostEndpoint');
    this.#opts = options;
    this.#engine = engine;
    this.#flow = FlowMonitor.reporting(this.emit);
    // Only the bin's description depends on the FIFO; the tracks (and so produces()) do not.
    this.#plan = playerPlan('file:///', UPLOAD, options.useEncodedMedia, 0, true);
  }

  override accepts(): FormatSet {
    return [];
  }

  override produces(kind: Kind): FormatSet {
    const t = this.#plan.tracks.find((x) => x.kind === kind);
    return t ? [t.codec] : [];
  }

  override deliver(): void {}

  /** A sink wants a keyframe: the bin's encoder makes one (not with useEncodedMedia: the upload's next one comes). */
  override requestKeyframe(): void {
    const s = this.#session;
    if (s) s.lastKeyframe = forceKeyframe(s.bin, this.#plan.tracks, s.lastKeyframe);
  }

  override reportBandwidth(): void {}

  protected override operations(): NodeOpHandlers<'HttpPostEndpoint'> {
    return {
      ...super.operations(),
      getStats: (a) => ({ [this.id]: this.elementStats(a.mediaType ?? null) }),
      beginUpload: async () => (await this.#begin()).fifo,
      endUpload: (a) => { this.#endUpload(a.complete); return null; },
      getElementGstreamerDot: async () => (this.#session ? await this.#engine.engine.dot(this.#session.pipeline) : undefined) ?? `digraph "${this.id}" {\n  label="HttpPostEndpoint: no upload";\n}\n`,
    };
  }

  async #begin(): Promise<Session> {
    if (this.#starting) return this.#starting;
    const current = this.#session;
    if (current && !current.gone && current.keeper !== undefined) {
      // A POST resuming a lost one (KMD disconnectionTimeout: "wait for a reconnection").
      clearTimeout(current.resumeTimer);
      current.resumeTimer = undefined;
      return current;
    }
    this.#starting = this.#start().finally(() => { this.#starting = undefined; });
    return this.#starting;
  }

  async #start(): Promise<Session> {
    this.#dir ??= mkdtempSync(join(tmpdir(), 'fluo-httppost-'));
    const n = this.#count++;
    const fifo = join(this.#dir, `upload-${n}`);
    // Node has no mkfifo; coreutils' is on every Debian.
    execFileSync('mkfifo', ['-m', '600', fifo]);
    const s: Session = {
      pipeline: `${this.#engine.pipeline}.httppost-${n}-${this.id.replace(/^.*\//, '').slice(0, 8)}`.replace(/[^A-Za-z0-9_.:-]/g, '_'),
      fifo, keeper: openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK),
      bin: undefined, bridges: new Map(), rewriters: {}, carried: new Set(), ended: new Set(), resumeTimer: undefined, lastKeyframe: -Infinity, gone: false,
    };
    this.#session = s;
    const ssrc = { VIDEO: randomInt(1, 0xffffffff), AUDIO: randomInt(1, 0xffffffff) };
    try {
      for (const t of this.#plan.tracks) {
        s.bridges.set(t.sink, await RtpBridge.open((buf) => this.#fromEngine(s, t, buf)));
        // Twins share the kind's outgoing stream: only one of them ever sends.
        s.rewriters[t.kind] ??= new StreamRewriter(ssrc[t.kind], t.codec.clockRate);
      }
      const plan = playerPlan(`file://${fifo}`, UPLOAD, this.#opts.useEncodedMedia, 0, true);
      s.bin = await this.#engine.engine.addBin(s.pipeline, BIN, plan.describe((t) => s.bridges.get(t.sink)?.port ?? 0, ssrc), {
        event: (e) => {
          if (e.type === 'eos') { if (e.element === '') void this.#ended(s); else this.#trackEnded(s, e.element); }
          else if (e.type === 'error') this.#fail(s, `The uploaded media cannot be played: ${e.message}`);
        },
        exit: (exit) => this.#fail(s, `The media engine process reading the upload stopped: ${exit.description}`),
      });
      if (s.gone) {
        // Released while the bin was being added: #teardown has run without it.
        await s.bin.remove();
        await this.#engine.engine.releasePipeline(s.pipeline).catch(() => undefined);
        throw new Error('the endpoint was released');
      }
      for (const t of this.#plan.tracks) s.bridges.get(t.sink)!.connect(0, s.bin.port(t.sink) ?? 0, ENGINE_PT[t.kind]);
      return s;
    } catch (err) {
      await this.#teardown(s);
      throw err;
    }
  }

  #endUpload(complete: boolean): void {
    const s = this.#session;
    if (!s || s.gone) return;
    if (complete) { this.#closeKeeper(s); return; }
    clearTimeout(s.resumeTimer);
    s.resumeTimer = setTimeout(() => this.#closeKeeper(s), Math.max(0, this.#opts.disconnectionTimeout) * 1000);
  }

  /** The engine reads the FIFO's last bytes, then EOF: EndOfStream once they are played out. */
  #closeKeeper(s: Session): void {
    clearTimeout(s.resumeTimer);
    if (s.keeper !== undefined) closeSync(s.keeper);
    s.keeper = undefined;
  }

  #fromEngine(s: Session, track: PlayerTrack, buf: Buffer): void {
    if (s.gone) return;
    const kind = track.kind;
    s.carried.add(kind);
    s.rewriters[kind]!.rewrite(buf, ENGINE_PT[kind]);
    this.#flow.packet('out', kind);
    this.forward(kind, { codec: track.codec, buf, at: performance.now() });
  }

  /** A branch's sink got EOS: its kind's stream ended (a twin that never carried media never does). */
  #trackEnded(s: Session, sink: string): void {
    const track = this.#plan.tracks.find((t) => t.sink === sink);
    if (s.gone || !track) return;
    s.ended.add(track.kind);
    // The upload ended when every kind that carried media has: a kind the upload lacks
    // (audio only, as a voice memo) never gets a stream, so never an EOS, and the whole
    // bin's EOS never comes either. The media of a kind reaches the worker before the
    // engine reports its EOS, as its sink sends the last packet before posting it.
    if ([...s.carried].every((k) => s.ended.has(k))) void this.#ended(s);
  }

  async #ended(s: Session): Promise<void> {
    if (s.gone) return;
    this.emit('EndOfStream', {});
    // Sinks learn it too: a RecorderEndpoint with stopOnEndOfStream finishes its file.
    this.signalEndOfStream();
    await this.#teardown(s);
  }

  #fail(s: Session, description: string): void {
    if (s.gone) return;
    this.emit('Error', { description, errorCode: ErrorCodes.UNEXPECTED_ERROR, type: 'UNEXPECTED_ERROR' });
    void this.#teardown(s);
  }

  async #teardown(s: Session): Promise<void> {
    if (s.gone) return;
    s.gone = true;
    this.#closeKeeper(s);
    if (this.#session === s) this.#session = undefined;
    for (const b of s.bridges.values()) b.close();
    await s.bin?.remove();
    await this.#engine.engine.releasePipeline(s.pipeline).catch(() => undefined);
    rmSync(s.fifo, { force: true });
  }

  protected override async onClose(): Promise<void> {
    this.#flow.close();
    const starting = this.#starting;
    if (starting) await starting.catch(() => undefined);
    if (this.#session) await this.#teardown(this.#session);
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
  }
}
