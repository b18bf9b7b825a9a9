/**
 * What the engine benchmarks share (bench/engineFluo.ts, bench/hubs.ts): CPU ticks of
 * a process from /proc, gst-launch-1.0 children killed at the end, an RTP frame
 * counter on loopback, a pre-encoded source replayed as RTP, SDP offers, and Fluo as
 * its own process so that its CPU is its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RpcClient } from '../test/helpers/fluo.ts';
import { startFluoProcess } from '../test/helpers/fluoProcess.ts';
import { engineChildren } from '../test/helpers/engine.ts';

const CLK_TCK = 100;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const percentile = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN; };

/**
 * The fields of a /proc stat file after the command name (proc(5): `state` first, so
 * utime is [11]); the name is cut at its last `)`, as it may hold spaces. Undefined once
 * the process or thread is gone.
 */
export function statFields(path: string): string[] | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU ticks of a process (0 once it is gone). */
export function ticks(pid: number): number {
  const f = statFields(`/proc/${pid}/stat`);
  return f ? Number(f[11]) + Number(f[12]) : 0;
}

/**
 * Clock ticks of a process's children that have exited and been waited for (cutime +
 * cstime, proc(5)): the CPU of short-lived helpers such as PlateDetectorFilter's
 * tesseract calls, which no sampling of live pids could catch.
 */
export function reapedChildrenTicks(pid: number): number {
  const f = statFields(`/proc/${pid}/stat`);
  return f ? Number(f[13]) + Number(f[14]) : 0;
}

/** Ticks as % of one core over `seconds`. */
export const ticksPercent = (t: number, seconds: number): number => (t / CLK_TCK / seconds) * 100;
export const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

/** % of one core each process used over `seconds`. */
export async function cpuWindow(pids: number[], seconds: number): Promise<number[]> {
  const p0 = pids.map(ticks);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const secs = (performance.now() - t0) / 1000;
  return pids.map((pid, i) => ((ticks(pid) - p0[i]!) / CLK_TCK / secs) * 100);
}

/** A benchmark's temp folder, its source file and its gst-launch children; `cleanUp` ends them. */
export class BenchRun {
  readonly dir = mkdtempSync(join(tmpdir(), 'fluo-bench-'));
  readonly file = join(this.dir, 'source.webm');
  readonly children: ChildProcess[] = [];

  gst(args: string): ChildProcess {
    const ch = spawn('gst-launch-1.0', ['-q', ...args.replace(/"/g, '').split(' ')], { stdio: 'ignore' });
    this.children.push(ch);
    return ch;
  }

  /** A 50 s 640x480@30 VP8 (1 Mbps, a keyframe every 5 frames) + Opus WebM to replay. */
  async makeSource(): Promise<void> {
    const t0 = performance.now();
    const ch = this.gst(`videotestsrc pattern=ball motion=wavy num-buffers=1500 ! video/x-raw,width=640,height=480,framerate=30/1 ! timeoverlay ! vp8enc deadline=1 cpu-used=4 threads=2 end-usage=cbr target-bitrate=1000000 keyframe-max-dist=5 ! queue ! m.video_0 ` +
      'audiotestsrc wave=sine num-buffers=2344 samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! opusenc ! queue ! m.audio_0 ' +
      `webmmux name=m ! filesink location=${this.file}`);
    await new Promise((r) => ch.once('exit', r));
    console.log(`# source: 50 s 640x480@30 VP8 1 Mbps (keyframe every 5 frames) + Opus, encoded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  }

  /** Replays the source file's VP8 (and Opus) as RTP to the given ports, paced by its timestamps. */
  sender(videoPorts: number[], audioPorts: number[] = [], file = this.file): ChildProcess {
    const v = `d.video_0 ! queue ! rtpvp8pay pt=96 mtu=1200 ! multiudpsink clients=${videoPorts.map((p) => `127.0.0.1:${p}`).join(',')} sync=true`;
    const a = audioPorts.length ? ` d.audio_0 ! queue ! rtpopuspay pt=111 ! multiudpsink clients=${audioPorts.map((p) => `127.0.0.1:${p}`).join(',')} sync=true` : '';
    return this.gst(`filesrc location=${file} ! matroskademux name=d ${v}${a}`);
  }

  /** Runs a benchmark's body between the machine's load averages, then cleans up whatever happened. */
  async exec(title: string, body: () => Promise<void>): Promise<void> {
    const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
    try {
      console.log(`# ${title}: Node ${process.version}, load average ${load()}`);
      await body();
      console.log(`# load average after: ${load()}`);
    } finally {
      this.cleanUp();
      // A client or socket left open must not keep a finished benchmark alive.
      setTimeout(() => process.exit(), 1000).unref();
    }
  }

  cleanUp(): void {
    for (const ch of this.children) ch.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A UDP receiver counting RTP frames (marker bits). */
export async function receiver(): Promise<{ port: number; frames: () => number; close: () => void }> {
  const s = dgram.createSocket('udp4');
  let frames = 0;
  s.on('message', (b) => { if (b.length > 12 && b[1]! & 0x80) frames++; });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, frames: () => frames, close: () => s.close() };
}

/** An SDP offer from loopback with one m-line per (kind, "pt codec") on consecutive even ports. */
export const sdp = (port: number, direction: string, media: Array<[string, string]>): string => ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=bench', 'c=IN IP4 127.0.0.1', 't=0 0',
  ...media.flatMap(([kind, fmt], i) => [`m=${kind} ${port + 2 * i} RTP/AVP ${fmt.split(' ')[0]}`, `a=rtpmap:${fmt}`, `a=${direction}`]), ''].join('\r\n');

/** Time from a Fluo process's start to the end of its start-up collections (see `settled`). */
const SETTLE_MS = 30_000;

/**
 * Fluo as its own process, for CPU figures that are Fluo's alone. `stop` ends it (SIGKILL
 * after 5 s of SIGTERM) and says so if one of its engine processes outlived it (they
 * should end with it: their control socket closes), killing that one.
 */
export async function fluoProcess(): Promise<{ pid: number; c: RpcClient; sid: string; settled: () => Promise<void>; stop: () => Promise<void> }> {
  const started = performance.now();
  const f = await startFluoProcess();
  const sid = (await f.client.ok('connect')).sessionId!;
  const pid = f.child.pid!;
  return {
    pid, c: f.client, sid,
    /**
     * Resolves once Fluo (and an engine process spawned with its first pipeline) is past
     * start-up: V8's memory reducer collects the start-up garbage of every isolate (main
     * thread, media workers, engine) in one-off passes 8-20 s after start, about 140 ms
     * of CPU here (2026-12-07, an idle Fluo sliced in 5 s windows: 0.0, 0.8, 0.0, 2.8,
     * 0.0, then 0.0-0.2% of a core). A CPU window before that charges them to the media.
     */
    settled: async () => { await sleep(SETTLE_MS - (performance.now() - started)); },
    async stop() {
      const engines = engineChildren(pid);
      const killed = sleep(5000).then(() => f.kill('SIGKILL'));
      await Promise.race([f.kill('SIGTERM'), killed]);
      await sleep(2000);
      for (const e of engines.filter((e) => existsSync(`/proc/${e}`))) {
        console.log(`# engine process ${e} outlived its Fluo (pid ${pid}) by 2 s: killed`);
        process.kill(e, 'SIGKILL');
      }
    },
  };
}
