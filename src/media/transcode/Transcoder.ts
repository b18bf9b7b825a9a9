import { MediaNode, type EmitFn } from '../graph/MediaNode.ts';
import type { Edge } from '../graph/Edge.ts';
import type { MediaPacket, RtpCodecInfo } from '../graph/MediaPacket.ts';
import { describeCodec } from '../graph/MediaPacket.ts';
import { startsKeyframe } from '../graph/keyframes.ts';
import type { MediaEngine } from '../engine/MediaEngine.ts';
import type { EngineBin } from '../engine/EngineBin.ts';
import { RtpBridge } from '../engine/RtpBridge.ts';
import { EncoderControl } from './EncoderControl.ts';
import { ENGINE_PT, transcoderDescription, type Kind } from './formats.ts';
import { mediaCounters } from '../worker/mediaCounters.ts';

/** Latency samples kept, and frames in flight counted (more means the engine dropped some: start again). */
const LATENCY_SAMPLES = 1024;
const MAX_IN_FLIGHT = 60;
const LOST_TRACK_MS = 1000;

export interface TranscoderOwner {
  readonly engine: MediaEngine;
  readonly pipeline: string;
  /** The emitter of the node whose events a sink raises. */
  emitFor(object: string): EmitFn;
  /** The transcoder failed or its engine process died: its edges must choose again. */
  lost(t: Transcoder): void;
}

/**
 * One transcoder of a pipeline (Kurento's agnosticbin transcoding branch): packets of
 * one format from one source node, decoded and encoded to another format by a bin of
 * the media engine, and delivered to every sink edge that needs that format. It is
 * shared by those edges, started with the first and removed with the last. Keyframe
 * requests from its sinks become force-key-unit events on its encoder; their REMB
 * estimates set the encoder's bitrate (the lowest wins, as one encoder serves them all);
 * the engine's own keyframe requests (its depayloader lost the stream) go to the source.
 */
export class Transcoder extends MediaNode {
  /** The graph's name for what it transcodes: source, kind, source format, target format. */
  readonly key: string;
  readonly source: MediaNode;
  readonly media: Kind;
  readonly from: RtpCodecInfo;
  readonly to: RtpCodecInfo;
  readonly #owner: TranscoderOwner;
  readonly #edges = new Set<Edge>();
  readonly #encoder: EncoderControl;
  #bin: EngineBin | undefined;
  #bridge: RtpBridge | undefined;
  #state: 'starting' | 'running' | 'gone' = 'starting';
  #last: MediaPacket | undefined;
  #lastAt = 0;
  /** Arrival times of the input frames in flight (their last packet), oldest first. */
  readonly #inFlight: number[] = [];
  /** The last LATENCY_SAMPLES frame latencies through the engine (ms), a ring. */
  readonly #latencies: number[] = [];
  #latencyAt = 0;
  /** Frames are counted from the first keyframe in: the decoder drops what comes before it. */
  #counting = false;
  framesIn = 0;
  framesOut = 0;

  constructor(id: string, key: string, owner: TranscoderOwner, source: MediaNode, media: Kind, from: RtpCodecInfo, to: RtpCodecInfo) {
    super(id, owner.emitFor(source.id), 'PassThrough');
    this.key = key;
    this.#owner = owner;
    this.source = source;
    this.media = media;
    this.from = from;
    this.to = to;
    // The source's encoder settings and those of the sinks this transcoder serves (a
    // recorder's or RtpEndpoint's encoderBitrate sets its recording's quality).
    this.#encoder = new EncoderControl(media, to, () => ({
      owner: source.encoderBitrates,
      sinks: [...this.#edges].map((e) => e.sink.encoderBitrates),
      blindSinks: [...this.#edges].some((e) => !e.sink.asksForKeyframes),
    }));
  }

  get edgeCount(): number {
    return this.#edges.size;
  }

  /** Adds the bin to the engine; packets that arrive before it runs are dropped. */
  async start(): Promise<void> {
    mediaCounters.transcodersStarted++;
    try {
      this.#bridge = await RtpBridge.open((buf) => this.#fromEngine(buf));
      const description = transcoderDescription(this.media, this.from, this.to, this.#bridge.port, this.#encoder.startBitrate());
      const bin = await this.#owner.engine.addBin(this.#owner.pipeline, this.id, description, {
        event: (e) => {
          if (e.type === 'keyframeRequest') this.source.requestKeyframe(this);
          else if (e.type === 'error') this.#fail(`the engine failed transcoding: ${e.message}`);
        },
        exit: (exit) => this.#fail(`the media engine process transcoding it stopped (${exit.description})`),
      });
      if (this.#state === 'gone') {
        await bin.remove();
        return;
      }
      this.#bin = bin;
      this.#encoder.bin = bin;
      const inPort = bin.port('in');
      const outPort = bin.port('out');
      if (!inPort || !outPort) throw new Error('the engine did not report the transcoder ports');
      this.#bridge.connect(inPort, outPort, ENGINE_PT[this.media]);
      this.#state = 'running';
      // Packets before this moment were dropped, a keyframe among them: the source must
      // not count its last request (made for another sink) as serving this one.
      this.readySince = performance.now();
      // The decoder needs a keyframe to start from.
      if (this.media === 'VIDEO') this.source.requestKeyframe(this);
    } catch (err) {
      this.#fail(`the engine could not start a transcoder: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** A sink edge now takes this transcoder's output. */
  attach(edge: Edge): void {
    if (this.#edges.has(edge)) return;
    this.#edges.add(edge);
    this.#encoder.refresh();
    this.#owner.emitFor(edge.sink.id)('MediaTranscodingStateChanged', { state: 'TRANSCODING', binName: this.id, mediaType: edge.kind });
    if (this.#state === 'running' && this.media === 'VIDEO') this.requestKeyframe(edge.sink);
  }

  /** A sink edge left; the last one closes the transcoder. */
  detach(edge: Edge): void {
    if (!this.#edges.delete(edge)) return;
    this.#encoder.forget(edge.sink);
    this.#owner.emitFor(edge.sink.id)('MediaTranscodingStateChanged', { state: 'NOT_TRANSCODING', binName: this.id, mediaType: edge.kind });
    if (this.#edges.size === 0) void this.close();
  }

  /** A packet of the source format, from any of the edges (each packet is sent in once). */
  push(pkt: MediaPacket): void {
    if (pkt === this.#last || this.#state !== 'running') return;
    this.#last = pkt;
    this.#lastAt = pkt.at;
    // The marker bit ends a video frame (RFC 3550 §5.1, RFC 7741 §4.1): one frame in flight.
    if (this.media === 'VIDEO') {
      if (!this.#counting && startsKeyframe(this.from.name, pkt.buf)) this.#counting = true;
      if (this.#counting && pkt.buf[1]! & 0x80) {
        this.framesIn++;
        if (this.#inFlight.push(pkt.at) > MAX_IN_FLIGHT) this.#inFlight.shift();
      }
    }
    this.#bridge?.send(pkt.buf);
  }

  #fromEngine(buf: Buffer): void {
    if (this.#state !== 'running') return;
    const now = performance.now();
    if (this.media === 'VIDEO' && buf[1]! & 0x80) {
      this.framesOut++;
      // One frame out for one frame in (a transcoder neither drops nor adds frames while
      // it keeps up): the oldest in flight is this one's input.
      const at = this.#inFlight.shift();
      if (at !== undefined && now - at > LOST_TRACK_MS) {
        // Frames were lost on the way (the depayloader waits for a keyframe after a
        // loss): the queue no longer matches; count again from the next keyframe.
        this.#inFlight.length = 0;
        this.#counting = false;
      } else if (at !== undefined) this.#latencies[this.#latencyAt++ % LATENCY_SAMPLES] = now - at;
    }
    const pkt: MediaPacket = { codec: this.to, buf, at: this.#lastAt };
    for (const e of this.#edges) e.deliver(this.media, pkt);
  }

  /** Frames through and the latency the engine added, last LATENCY_SAMPLES frames (ms). */
  stats(): { id: string; from: string; to: string; framesIn: number; framesOut: number; latencyMs: number[] } {
    return { id: this.id, from: describeCodec(this.from), to: describeCodec(this.to), framesIn: this.framesIn, framesOut: this.framesOut, latencyMs: [...this.#latencies] };
  }

  /** A sink asks for a keyframe: the encoder makes one (rate-limited, EncoderControl). */
  override requestKeyframe(_from: MediaNode): void {
    this.#encoder.keyframe();
  }

  /** A sink's REMB: the encoder follows the lowest of them. */
  override reportBandwidth(from: MediaNode, bps: number): void {
    this.#encoder.bandwidth(from, bps);
  }

  #fail(reason: string): void {
    if (this.#state === 'gone') return;
    const edges = [...this.#edges];
    void this.close();
    const description = `Transcoding ${describeCodec(this.from)} to ${describeCodec(this.to)} stopped: ${reason}`;
    for (const e of edges) {
      const emit = this.#owner.emitFor(e.sink.id);
      emit('Error', { description, errorCode: 40003, type: 'MEDIA_ENGINE_ERROR' });
      emit('MediaTranscodingStateChanged', { state: 'NOT_TRANSCODING', binName: this.id, mediaType: e.kind });
      if (e.kind === 'AUDIO' || e.kind === 'VIDEO') e.sink.upstreamLost(e.kind);
    }
    this.#edges.clear();
    this.#owner.lost(this);
  }

  protected override async onClose(): Promise<void> {
    this.#state = 'gone';
    this.#encoder.close();
    this.#bridge?.close();
    await this.#bin?.remove();
  }
}
