/**
 * GStreamer peers of a hub test over plain RTP: `colourSource` sends a solid colour
 * (VP8) and a tone (Opus) into a new RtpEndpoint (gst offers, Fluo answers);
 * `toneGrab` receives an element's audio through a new RtpEndpoint (Fluo offers) and
 * decodes it, and `tonePower` measures one frequency in what it got (Goertzel).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freeUdpPort, type GstLaunches } from '../helpers/gstreamer.ts';
import type { ObjectApi } from '../helpers/frameGrab.ts';

const RATE = 16000;

/** A solid-colour picture (0xRRGGBB) and a sine of `freq` Hz into a new RtpEndpoint of `pipeline`. */
export async function colourSource(api: ObjectApi, launches: GstLaunches, pipeline: string, rgb: number, freq: number, size = '160x120'): Promise<{ ep: string; sender: ChildProcess }> {
  const ep = await api.create('RtpEndpoint', { mediaPipeline: pipeline });
  const [vPort, aPort] = [await freeUdpPort(), await freeUdpPort()];
  const offer = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=gst', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=video ${vPort} RTP/AVP 96`, 'a=rtpmap:96 VP8/90000', 'a=sendonly',
    `m=audio ${aPort} RTP/AVP 111`, 'a=rtpmap:111 opus/48000/2', 'a=sendonly', ''].join('\r\n');
  const answer = (await api.invoke(ep, 'processOffer', { offer })) as string;
  const [video, audio] = [...answer.matchAll(/^m=(?:video|audio) (\d+)/gm)].map((m) => Number(m[1]));
  const [w, h] = size.split('x');
  const sender = launches.launch(`videotestsrc is-live=true pattern=solid-color foreground-color=0xff${rgb.toString(16).padStart(6, '0')} ! video/x-raw,width=${w},height=${h},framerate=15/1 ! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=30 ! rtpvp8pay pt=96 mtu=1200 ! udpsink host=127.0.0.1 port=${video} ` +
    `audiotestsrc is-live=true wave=sine freq=${freq} volume=0.3 ! audio/x-raw,rate=48000,channels=2 ! opusenc ! rtpopuspay pt=111 ! udpsink host=127.0.0.1 port=${audio}`);
  return { ep, sender };
}

/** Decoded audio of an element (mono, 16 kHz, S16LE), arriving while the test runs. */
export class ToneGrabber {
  #pcm: Buffer[] = [];
  /** Bytes in the kept window. */
  #bytes = 0;
  /** Bytes received in all. */
  #received = 0;
  constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => {
      this.#pcm.push(d);
      this.#bytes += d.length;
      this.#received += d.length;
      // Keep about the last 4 s.
      while (this.#bytes - this.#pcm[0]!.length > RATE * 2 * 4) this.#bytes -= this.#pcm.shift()!.length;
    });
  }

  /** The last `ms` of audio as samples (fewer if less arrived). */
  last(ms: number): Int16Array {
    const all = Buffer.concat(this.#pcm);
    const n = Math.min(all.length >> 1, Math.round((ms / 1000) * RATE));
    const start = all.length - n * 2;
    const out = new Int16Array(n);
    for (let i = 0; i < n; i++) out[i] = all.readInt16LE(start + i * 2);
    return out;
  }

  /**
   * Samples received so far, in all. (It was the kept window's count, which stops
   * growing at 4 s: a wait for "1.5 s more" begun after that never ended, and the Mixer
   * test failed whenever its first picture took long enough to fill the window.)
   */
  get samples(): number {
    return this.#received >> 1;
  }

  stop(): void {
    this.child.kill('SIGKILL');
  }
}

export async function toneGrab(api: ObjectApi, pipeline: string, source: string): Promise<ToneGrabber> {
  const rtp = await api.create('RtpEndpoint', { mediaPipeline: pipeline });
  const offer = (await api.invoke(rtp, 'generateOffer')) as string;
  const pt = /a=rtpmap:(\d+) opus\/48000/i.exec(offer)?.[1];
  if (!pt) throw new Error(`no Opus in ${offer}`);
  const port = await freeUdpPort();
  const lines = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=tone grab', 'c=IN IP4 127.0.0.1', 't=0 0'];
  for (const m of offer.matchAll(/^m=(\w+) \d+ ([^ ]+) ([^\r\n]+)/gm)) {
    if (m[1] === 'audio') lines.push(`m=audio ${port} ${m[2]} ${pt}`, `a=rtpmap:${pt} opus/48000/2`, 'a=recvonly');
    else lines.push(`m=${m[1]} 0 ${m[2]} ${m[3]!.split(' ')[0]}`);
  }
  const caps = `application/x-rtp,media=audio,clock-rate=48000,encoding-name=OPUS,payload=${pt}`;
  const child = spawn('gst-launch-1.0', ['-q', ...`udpsrc port=${port} caps=${caps} ! rtpjitterbuffer latency=100 ! rtpopusdepay ! opusdec ! audioconvert ! audioresample ! audio/x-raw,format=S16LE,channels=1,rate=${RATE} ! fdsink fd=1`.split(' ')], { stdio: ['ignore', 'pipe', 'ignore'] });
  const grabber = new ToneGrabber(child);
  await api.invoke(rtp, 'processAnswer', { answer: [...lines, ''].join('\r\n') });
  await api.invoke(source, 'connect', { sink: rtp, mediaType: 'AUDIO' });
  return grabber;
}

/** The power of `freq` in `samples` (Goertzel), normalised by the number of samples. */
export function tonePower(samples: Int16Array, freq: number): number {
  const k = (2 * Math.PI * freq) / RATE;
  const coeff = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s0 = x / 32768 + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (samples.length * samples.length || 1);
}
