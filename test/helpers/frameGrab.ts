/**
 * What a user would see after a filter, as RGB frames: `grabFrames` connects an element
 * to a new RtpEndpoint and decodes its VP8 with gst-launch-1.0 (Fluo offers, the
 * receiver answers), `decodeFrames` reads a recorded file with ffmpeg. Measure the
 * frames with test/helpers/pixels.ts.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { freeUdpPort, udpBound } from './gstreamer.ts';
import type { Frame } from './pixels.ts';
import { PpmStream } from './ppmStream.ts';

/** How a test makes and drives objects over JSON-RPC (PlayerBed's `create`/`invoke` fit). */
export interface ObjectApi {
  create(type: string, constructorParams: Record<string, unknown>): Promise<string>;
  invoke(object: string, operation: string, operationParams?: Record<string, unknown>): Promise<unknown>;
}

export interface GrabOptions {
  /** Frames per second handed to the test (the receiver's videorate): 10 spares the CPU. */
  fps?: number;
  /** How many of the latest frames `frames` keeps. */
  keep?: number;
}

/**
 * A plain-RTP answer to Fluo's offer: VP8 received on `port`, every other m-line
 * refused with port 0 (RFC 3264 §6), so the answer lines up with the offer.
 */
export function receiverAnswer(offer: string, port: number): { answer: string; payloadType: number } {
  const pt = /a=rtpmap:(\d+) VP8\/90000/.exec(offer)?.[1];
  if (!pt) throw new Error(`Fluo's offer has no VP8: ${offer}`);
  const lines = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=fluo frame grab', 'c=IN IP4 127.0.0.1', 't=0 0'];
  for (const m of offer.matchAll(/^m=(\w+) \d+ ([^ ]+) ([^\r\n]+)/gm)) {
    if (m[1] === 'video') lines.push(`m=video ${port} ${m[2]} ${pt}`, `a=rtpmap:${pt} VP8/90000`, 'a=recvonly');
    else lines.push(`m=${m[1]} 0 ${m[2]} ${m[3]!.split(' ')[0]}`);
  }
  return { answer: [...lines, ''].join('\r\n'), payloadType: Number(pt) };
}

/** Decoded frames of one element's video, arriving while the test runs. */
export class FrameGrabber {
  readonly frames: Frame[] = [];
  /** Frames decoded so far, including those no longer kept. */
  count = 0;
  readonly #keep: number;
  readonly #child: ChildProcess;
  #stderr = '';
  #waiters: Array<() => void> = [];

  constructor(readonly rtpEndpoint: string, child: ChildProcess, keep: number) {
    this.#child = child;
    this.#keep = keep;
    const ppm = new PpmStream();
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const f of ppm.push(chunk)) {
        this.frames.push(f);
        if (this.frames.length > this.#keep) this.frames.shift();
        this.count++;
      }
      for (const w of this.#waiters.splice(0)) w();
    });
    child.stderr!.on('data', (d: Buffer) => { this.#stderr += d.toString(); });
  }

  /** The newest decoded frame, if any yet. */
  latestFrame(): Frame | undefined {
    return this.frames[this.frames.length - 1];
  }

  /** Resolves with the first newly decoded frame for which `pred` holds. */
  async waitFor(pred: (f: Frame) => boolean = () => true, timeoutMs = 10_000): Promise<Frame> {
    const deadline = performance.now() + timeoutMs;
    let seen = this.count;
    for (;;) {
      const fresh = this.frames.slice(Math.max(0, this.frames.length - (this.count - seen)));
      seen = this.count;
      const hit = fresh.find(pred);
      if (hit) return hit;
      const left = deadline - performance.now();
      if (left <= 0 || this.#child.exitCode !== null) {
        throw new Error(`no matching frame in ${timeoutMs} ms (${this.count} decoded${this.#child.exitCode !== null ? `, receiver exited ${this.#child.exitCode}` : ''}) ${this.#stderr.trim()}`);
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.#waiters.push(() => { clearTimeout(t); r(); });
      });
    }
  }

  /** Ends the receiver. The RtpEndpoint goes with its pipeline. */
  stop(): void {
    this.#child.kill('SIGKILL');
  }
}

/**
 * A new RtpEndpoint in `pipeline` fed by `source`, and a GStreamer receiver decoding
 * what it sends: udpsrc → jitter buffer → VP8 → RGB, written as PPM pictures on stdout.
 */
export async function grabFrames(api: ObjectApi, pipeline: string, source: string, opts: GrabOptions = {}): Promise<FrameGrabber> {
  const rtp = await api.create('RtpEndpoint', { mediaPipeline: pipeline });
  const offer = (await api.invoke(rtp, 'generateOffer')) as string;
  const port = await freeUdpPort();
  const { answer, payloadType } = receiverAnswer(offer, port);
  const caps = `application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=${payloadType}`;
  // -q: gst-launch's own messages would go to stdout, amid the pictures.
  const child = spawn('gst-launch-1.0', ['-q', ...`udpsrc port=${port} caps=${caps} ! rtpjitterbuffer latency=100 ! rtpvp8depay ! vp8dec ! videorate ! video/x-raw,framerate=${opts.fps ?? 10}/1 ! videoconvert ! video/x-raw,format=RGB ! pnmenc ! fdsink fd=1`.split(' ')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const grabber = new FrameGrabber(rtp, child, opts.keep ?? 30);
  // Media only once udpsrc listens: the encoder's first keyframe, sent at connect, would
  // be lost otherwise, and this receiver sends no PLI to get another (the hubs' encoders
  // make one only every 3000 frames).
  const end = Date.now() + 5000;
  while (!udpBound(port) && child.exitCode === null && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  await api.invoke(rtp, 'processAnswer', { answer });
  await api.invoke(source, 'connect', { sink: rtp });
  return grabber;
}

/**
 * The frames of a media file (a recording, a scene, a PNG) as RGB, `fps` of them a
 * second: ffmpeg writes them as PPM to a pipe.
 */
export function decodeFrames(path: string, { fps = 5, max = 300 }: { fps?: number; max?: number } = {}): Frame[] {
  const out = execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-vf', `fps=${fps}`, '-frames:v', String(max), '-f', 'image2pipe', '-c:v', 'ppm', '-'], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  return new PpmStream().push(out);
}

/** A still picture (PNG, JPEG...) as one RGB frame. */
export function readImage(path: string): Frame {
  const out = execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-frames:v', '1', '-f', 'image2pipe', '-c:v', 'ppm', '-'], { maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
  const [f] = new PpmStream().push(out);
  if (!f) throw new Error(`ffmpeg decoded no picture from ${path}`);
  return f;
}
