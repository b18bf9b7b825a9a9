/**
 * What the engine benchmarks share: CPU from /proc, gst-launch-1.0 helpers, RTP senders
 * and frame-counting receivers on loopback, and Fluo as its own process. Every
 * benchmark prints its figures next to a reference measured in the same run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RpcClient } from '../test/helpers/fluo.ts';
import { startFluoProcess } from '../test/helpers/fluoProcess.ts';

export const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CLK_TCK = 100;
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const dir = mkdtempSync(join(tmpdir(), 'fluo-bench-engine-'));
/** The source every sender replays (makeSource writes it). */
export const FILE = join(dir, 'source.webm');
const children: ChildProcess[] = [];

/** The fields of /proc/<pid>/stat after the command name (proc(5) field 3 first), or none. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system clock ticks a process has used. */
export function ticks(pid: number): number {
  const f = statFields(pid);
  return f ? Number(f[11]) + Number(f[12]) : 0;
}

/**
 * Clock ticks of a process's children that have exited and been waited for (cutime +
 * cstime, proc(5)): the CPU of short-lived helpers such as PlateDetectorFilter's
 * tesseract calls, which no sampling of live pids could catch.
 */
export function reapedChildrenTicks(pid: number): number {
  const f = statFields(pid);
  return f ? Number(f[13]) + Number(f[14]) : 0;
}

/** Ticks as % of one core over `seconds`. */
export const ticksPercent = (t: number, seconds: number): number => (t / CLK_TCK / seconds) * 100;
export const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
export const percentile = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN; };

/** gst-launch-1.0 with a description (quotes dropped: the words go as arguments). */
export function gst(args: string): ChildProcess {
  const ch = spawn('gst-launch-1.0', ['-q', ...args.replace(/"/g, '').split(' ')], { stdio: 'ignore' });
  children.push(ch);
  return ch;
}

/** A UDP receiver counting RTP frames (marker bits). */
export async function receiver(): Promise<{ port: number; frames: () => number; close: () => void }> {
  const s = dgram.createSocket('udp4');
  let frames = 0;
  s.on('message', (b) => { if (b.length > 12 && b[1]! & 0x80) frames++; });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { port: s.address().port, frames: () => frames, close: () => s.close() };
}

/** Replays the source file's VP8 (and Opus) as RTP to the given ports, paced by its timestamps. */
export function sender(videoPorts: number[], audioPorts: number[] = [], file = FILE): ChildProcess {
  const v = `d.video_0 ! queue ! rtpvp8pay pt=96 mtu=1200 ! multiudpsink clients=${videoPorts.map((p) => `127.0.0.1:${p}`).join(',')} sync=true`;
  const a = audioPorts.length ? ` d.audio_0 ! queue ! rtpopuspay pt=111 ! multiudpsink clients=${audioPorts.map((p) => `127.0.0.1:${p}`).join(',')} sync=true` : '';
  return gst(`filesrc location=${file} ! matroskademux name=d ${v}${a}`);
}

/** A plain-RTP SDP offer: one m-line per (kind, "pt name/rate") from `port` up, in `direction`. */
export const sdp = (port: number, direction: string, media: Array<[string, string]>): string => ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=bench', 'c=IN IP4 127.0.0.1', 't=0 0',
  ...media.flatMap(([kind, fmt], i) => [`m=${kind} ${port + 2 * i} RTP/AVP ${fmt.split(' ')[0]}`, `a=rtpmap:${fmt}`, `a=${direction}`]), ''].join('\r\n');

/** Writes FILE: 50 s of 640x480@30 VP8 1 Mbps (a keyframe every 5 frames) and Opus. */
export async function makeSource(): Promise<void> {
  const t0 = performance.now();
  const ch = gst(`videotestsrc pattern=ball motion=wavy num-buffers=1500 ! video/x-raw,width=640,height=480,framerate=30/1 ! timeoverlay ! vp8enc deadline=1 cpu-used=4 threads=2 end-usage=cbr target-bitrate=1000000 keyframe-max-dist=5 ! queue ! m.video_0 ` +
    'audiotestsrc wave=sine num-buffers=2344 samplesperbuffer=1024 ! audio/x-raw,rate=48000,channels=2 ! audioconvert ! opusenc ! queue ! m.audio_0 ' +
    `webmmux name=m ! filesink location=${FILE}`);
  await new Promise((r) => ch.once('exit', r));
  console.log(`# source: 50 s 640x480@30 VP8 1 Mbps (keyframe every 5 frames) + Opus, encoded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

/** % of one core each process used over `seconds`. */
export async function cpuWindow(pids: number[], seconds: number): Promise<number[]> {
  const p0 = pids.map(ticks);
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const secs = (performance.now() - t0) / 1000;
  return pids.map((pid, i) => ((ticks(pid) - p0[i]!) / CLK_TCK / secs) * 100);
}

/** Fluo as its own process, for CPU figures that are Fluo's alone. */
export async function fluoProcess(): Promise<{ pid: number; c: RpcClient; sid: string; stop: () => Promise<void> }> {
  const f = await startFluoProcess();
  const sid = (await f.client.ok('connect')).sessionId!;
  return { pid: f.child.pid!, c: f.client, sid, stop: () => f.kill('SIGTERM') };
}

/** Kills what the benchmark started and removes its folder. */
export function cleanUp(): void {
  for (const ch of children) ch.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
