/**
 * Glass-to-glass latency by flashes, for bench/hubs.ts: two gst-launch senders encode a
 * dark and a bright picture; a relay forwards one of them into Fluo as one continuous
 * stream (StreamRewriter) and flips to the other at its next keyframe, noting when it
 * forwarded that keyframe's first packet; a gst-launch receiver decodes Fluo's output
 * to tiny grey frames, and the time the watched region's brightness crosses the middle
 * is when the flash was seen. The receiver has no jitter buffer: what is measured is
 * Fluo's path plus one decode.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { StreamRewriter } from '../src/media/rtpEndpoint/StreamRewriter.ts';
import { startsKeyframe } from '../src/media/graph/keyframes.ts';
import { freeUdpPort } from '../test/helpers/gstreamer.ts';
import type { BenchRun } from './benchKit.ts';

const W = 32;
const H = 24;

/** A dark/bright VP8 source behind a relay; `flip()` resolves with when the new picture's keyframe went out. */
export class FlashSource {
  readonly #socket: dgram.Socket;
  readonly #rewriter = new StreamRewriter(0x5eed, 90000);
  readonly #ports: [number, number];
  #to = 0;
  #showing: 0 | 1 = 0;
  #wanted: 0 | 1 = 0;
  #sent: ((at: number) => void) | undefined;

  private constructor(socket: dgram.Socket, ports: [number, number]) {
    this.#socket = socket;
    this.#ports = ports;
    socket.on('message', (buf, from) => this.#packet(buf, from.port));
  }

  static async start(run: BenchRun): Promise<FlashSource> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    const senders = [await freeUdpPort(), await freeUdpPort()] as [number, number];
    const relay = socket.address().port;
    ['black', 'white'].forEach((pattern, i) => run.gst(`videotestsrc is-live=true pattern=${pattern} ! video/x-raw,width=640,height=480,framerate=30/1 ! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=6 ! rtpvp8pay pt=96 mtu=1200 ! udpsink host=127.0.0.1 port=${relay} bind-port=${senders[i]}`));
    return new FlashSource(socket, senders);
  }

  /** Where the relay sends (Fluo's input port). */
  sendTo(port: number): void {
    this.#to = port;
  }

  #packet(buf: Buffer, fromPort: number): void {
    const which = this.#ports.indexOf(fromPort);
    if (which < 0 || !this.#to) return;
    if (which !== this.#showing) {
      if (which !== this.#wanted || !startsKeyframe('VP8', buf)) return;
      this.#showing = which as 0 | 1;
      this.#rewriter.restart();
      this.#sent?.(performance.now());
      this.#sent = undefined;
    }
    this.#rewriter.rewrite(buf, 96);
    this.#socket.send(buf, this.#to, '127.0.0.1');
  }

  flip(): Promise<number> {
    this.#wanted = this.#showing === 0 ? 1 : 0;
    return new Promise((resolve) => { this.#sent = resolve; });
  }

  close(): void {
    this.#socket.close();
  }
}

/** Fluo's output decoded to 32x24 grey frames; `seen(bright)` resolves when the watched region turns. */
export class FlashWatcher {
  readonly port: number;
  readonly #child: ChildProcess;
  #pending = Buffer.alloc(0);
  #waiter: { bright: boolean; resolve: (at: number) => void } | undefined;

  private constructor(port: number, child: ChildProcess, region: (x: number, y: number) => boolean) {
    this.port = port;
    this.#child = child;
    child.stdout!.on('data', (d: Buffer) => {
      const at = performance.now();
      this.#pending = Buffer.concat([this.#pending, d]);
      while (this.#pending.length >= W * H) {
        const frame = this.#pending.subarray(0, W * H);
        this.#pending = this.#pending.subarray(W * H);
        let sum = 0;
        let n = 0;
        for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (region(x / W, y / H)) { sum += frame[y * W + x]!; n++; }
        const w = this.#waiter;
        if (w && (sum / n > 128) === w.bright) {
          this.#waiter = undefined;
          w.resolve(at);
        }
      }
    });
  }

  /** A receiver of VP8 with payload type `pt` on a free port; `region` picks the watched part (relative x, y). */
  static async start(run: BenchRun, pt: number, region: (x: number, y: number) => boolean): Promise<FlashWatcher> {
    const port = await freeUdpPort();
    const child = spawn('gst-launch-1.0', ['-q', ...`udpsrc port=${port} caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=VP8,payload=${pt} ! rtpvp8depay ! vp8dec ! videoconvert ! videoscale ! video/x-raw,format=GRAY8,width=${W},height=${H} ! fdsink fd=1 sync=false`.split(' ')], { stdio: ['ignore', 'pipe', 'ignore'] });
    run.children.push(child);
    return new FlashWatcher(port, child, region);
  }

  seen(bright: boolean): Promise<number> {
    return new Promise((resolve) => { this.#waiter = { bright, resolve }; });
  }
}

/** Flips the source `n` times, a second apart; answers each flip's latency (ms) from its keyframe sent to it seen. */
export async function flashes(source: FlashSource, watcher: FlashWatcher, n: number): Promise<number[]> {
  const out: number[] = [];
  let bright = false;
  for (let i = 0; i < n; i++) {
    bright = !bright;
    const seen = watcher.seen(bright);
    const sent = await source.flip();
    const at = await Promise.race([seen, new Promise<number>((r) => setTimeout(() => r(NaN), 3000))]);
    if (Number.isFinite(at)) out.push(at - sent);
    await new Promise((r) => setTimeout(r, 700));
  }
  return out;
}
