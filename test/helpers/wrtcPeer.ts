import { randomFillSync } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
// @roamhq/wrtc ships no types; this is the slice of the W3C API the tests use.
interface Wrtc {
  RTCPeerConnection: new (config?: object) => PeerConnection;
  nonstandard: {
    RTCVideoSource: new () => { createTrack(): Track; onFrame(frame: { width: number; height: number; data: Uint8ClampedArray }): void };
    RTCVideoSink: new (track: Track) => { onframe: ((e: { frame: { width: number; height: number; data: Uint8Array } }) => void) | null; stop(): void };
    RTCAudioSource: new () => { createTrack(): Track; onData(d: { samples: Int16Array; sampleRate: number; bitsPerSample: number; channelCount: number; numberOfFrames: number }): void };
  };
}
export interface Track { kind: string; stop(): void }
export interface PeerConnection {
  addTrack(track: Track, ...streams: unknown[]): unknown;
  addTransceiver(kind: string, init?: object): unknown;
  createOffer(options?: { iceRestart?: boolean }): Promise<{ type: string; sdp: string }>;
  createAnswer(): Promise<{ type: string; sdp: string }>;
  setLocalDescription(d: { type: string; sdp: string }): Promise<void>;
  setRemoteDescription(d: { type: string; sdp: string }): Promise<void>;
  addIceCandidate(c: { candidate: string; sdpMid?: string; sdpMLineIndex?: number }): Promise<void>;
  createDataChannel(label: string, init?: object): DataChannel;
  getStats(): Promise<Map<string, Record<string, unknown>>>;
  close(): void;
  onicecandidate: ((e: { candidate: { candidate: string; sdpMid: string; sdpMLineIndex: number } | null }) => void) | null;
  ontrack: ((e: { track: Track }) => void) | null;
  ondatachannel: ((e: { channel: DataChannel }) => void) | null;
  onicegatheringstatechange: (() => void) | null;
  connectionState: string;
  iceConnectionState: string;
  iceGatheringState: string;
  localDescription: { type: string; sdp: string } | null;
  remoteDescription: { type: string; sdp: string } | null;
}
export interface DataChannel {
  label: string; readyState: string; send(d: string): void; close(): void;
  onopen: (() => void) | null; onmessage: ((e: { data: string }) => void) | null;
}

export const wrtc = require('@roamhq/wrtc') as Wrtc;

/** RTCConfiguration members a test may set (W3C webrtc-pc §4.2.1), e.g. a relay-only peer. */
export interface PeerRtcConfig {
  iceServers?: Array<{ urls: string | string[]; username?: string; credential?: string }>;
  iceTransportPolicy?: 'all' | 'relay';
}

export interface WrtcPeerOptions {
  video?: boolean; audio?: boolean; width?: number; height?: number; recvOnly?: boolean; shade?: number;
  /** Random pixels in the lower half of the picture, so the encoder spends its whole budget (benchmarks). */
  noise?: boolean;
  rtcConfig?: PeerRtcConfig;
  /**
   * Flash and beep instead of bars and a steady tone: for `lengthMs` of every `periodMs`
   * the picture is white and a 1 kHz tone sounds, both taken from one wall clock (the
   * audio generated to keep up with it), dark and silent otherwise: a recording's A/V
   * sync is the offset between its flashes and its beeps.
   */
  flashes?: { periodMs: number; lengthMs: number };
  /** The picture becomes `width` x `height` this long after the start (a sender adapting its resolution, as browsers do). */
  resize?: { afterMs: number; width: number; height: number };
}

/**
 * A real WebRTC peer (libwebrtc through @roamhq/wrtc) sending a moving synthetic
 * picture and a tone, and recording what it receives: frame count and a checksum per
 * frame, so a test can assert that the picture came back and changes.
 */
export class WrtcPeer {
  readonly pc: PeerConnection;
  readonly received = { frames: 0, checksums: new Set<number>(), width: 0, height: 0, maxLuma: 0 };
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #sinks: Array<{ stop(): void }> = [];
  readonly #tracks: Track[] = [];

  constructor(opts: WrtcPeerOptions = {}) {
    this.pc = new wrtc.RTCPeerConnection({ iceServers: [], ...opts.rtcConfig });
    if (opts.recvOnly) {
      // A viewer: receives audio and video, sends nothing.
      this.pc.addTransceiver('audio', { direction: 'recvonly' });
      this.pc.addTransceiver('video', { direction: 'recvonly' });
      opts = { ...opts, video: false, audio: false };
    }
    const shade = opts.shade ?? 220;
    let width = opts.width ?? 320;
    let height = opts.height ?? 240;
    const started = performance.now();
    const flashes = opts.flashes;
    const flashing = (ms: number): boolean => !!flashes && ms % flashes.periodMs < flashes.lengthMs;
    if (opts.video !== false) {
      const source = new wrtc.nonstandard.RTCVideoSource();
      const track = source.createTrack();
      this.#tracks.push(track);
      this.pc.addTrack(track);
      let n = 0;
      let frame = new Uint8ClampedArray(width * height * 1.5);
      this.#timers.push(setInterval(() => {
        // Moving bars in the luma plane plus a frame counter block: every frame differs.
        n++;
        const resize = opts.resize;
        if (resize && width !== resize.width && performance.now() - started >= resize.afterMs) {
          width = resize.width;
          height = resize.height;
          frame = new Uint8ClampedArray(width * height * 1.5);
        }
        if (flashes) {
          frame.fill(flashing(performance.now() - started) ? 235 : 16, 0, width * height);
          frame.fill(128, width * height);
          source.onFrame({ width, height, data: frame });
          return;
        }
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) frame[y * width + x] = ((x + n * 4) >> 4) & 1 ? shade : 30;
        }
        for (let i = 0; i < 16 * width; i++) frame[i] = (n * 7) & 255;
        if (opts.noise) randomFillSync(frame, (height >> 1) * width, (height >> 1) * width);
        frame.fill(128, width * height);
        source.onFrame({ width, height, data: frame });
      }, 33));
    }
    if (opts.audio !== false) {
      const source = new wrtc.nonstandard.RTCAudioSource();
      const track = source.createTrack();
      this.#tracks.push(track);
      this.pc.addTrack(track);
      let t = 0;
      this.#timers.push(setInterval(() => {
        // With flashes, as many 10 ms chunks as the wall clock asks (a late timer does not
        // put the sound behind the picture); otherwise one per tick.
        const due = flashes ? Math.floor(((performance.now() - started) * 48) / 480) * 480 : t + 480;
        while (t < due) {
          const samples = new Int16Array(480);
          for (let i = 0; i < 480; i++, t++) {
            const tone = Math.sin(2 * Math.PI * (flashes ? 1000 : 440) * (t / 48000));
            samples[i] = flashes && !flashing(t / 48) ? 0 : Math.round(8000 * tone);
          }
          source.onData({ samples, sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 });
        }
      }, 10));
    }
    this.pc.ontrack = (e) => {
      if (e.track.kind !== 'video') return;
      const sink = new wrtc.nonstandard.RTCVideoSink(e.track);
      this.#sinks.push(sink);
      sink.onframe = ({ frame }) => {
        this.received.frames++;
        this.received.width = frame.width;
        this.received.height = frame.height;
        let sum = 0;
        let luma = 0;
        for (let i = 16 * frame.width; i < frame.width * frame.height; i += 61) luma = Math.max(luma, frame.data[i]!);
        this.received.maxLuma = luma;
        for (let i = 0; i < frame.data.length; i += 97) sum = (sum * 31 + frame.data[i]!) >>> 0;
        this.received.checksums.add(sum);
      };
    };
  }

  close(): void {
    for (const t of this.#timers) clearInterval(t);
    for (const s of this.#sinks) s.stop();
    for (const t of this.#tracks) t.stop();
    this.pc.close();
  }
}
