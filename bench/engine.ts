/**
 * npm run bench:engine — what the engine host costs (issue 11, "Benchmark"):
 * - spawn to ready of a cold engine process (node-gtk load + Gst.init), median of 5;
 * - first RTP packet out of a new bin, on a warm process and on a cold one, median of 5;
 * - RSS of an idle engine process and what one transcode pipeline adds;
 * - CPU of one 640x480@30 VP8 -> H.264 RTP transcode in the engine next to the same
 *   pipeline in gst-launch-1.0, fed by one sender, in the same run;
 * - RSS of 4 light pipelines pooled in one process and isolated in 4.
 * CPU is utime+stime of the process (all threads) from /proc/PID/stat (media-probe-notes,
 * Appendix C). The machine may be shared: figures come with the load average seen.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { EnginePool } from '../src/engine/EnginePool.ts';
import { EngineProcess } from '../src/engine/EngineProcess.ts';
import { RtpReceiver, stopChild, VP8_CAPS, freeUdpPort } from '../test/engine/media.ts';

const CLK_TCK = 100;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15 of proc(5))
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function firstPacket(engine: EngineProcess, pipeline: string, out: RtpReceiver): Promise<number> {
  const n = out.packets.length;
  const t0 = performance.now();
  await engine.request('addBin', {
    pipeline, bin: 'enc',
    description: 'videotestsrc is-live=true ! video/x-raw,width=640,height=480,framerate=30/1 ! vp8enc deadline=1 cpu-used=4 threads=1 lag-in-frames=0 ' +
      `! rtpvp8pay pt=96 ! udpsink host=127.0.0.1 port=${out.port} sync=false`,
  });
  while (out.packets.length === n) await sleep(1);
  const ms = performance.now() - t0;
  await engine.request('removePipeline', { pipeline });
  return ms;
}

const transcode = (inPort: number, outPort: number) =>
  `udpsrc port=${inPort} caps="${VP8_CAPS}" ! rtpjitterbuffer latency=50 ! rtpvp8depay ! vp8dec ! videoconvert ` +
  '! x264enc tune=zerolatency speed-preset=ultrafast bitrate=1000 key-int-max=300 threads=2 ! video/x-h264,profile=constrained-baseline ' +
  `! rtph264pay pt=102 config-interval=-1 ! udpsink host=127.0.0.1 port=${outPort} sync=false`;

/** RSS of 4 light pipelines (320x240@15 VP8 encode to RTP) in one pooled process, then each in its own process. */
async function memoryPooledAndIsolated(): Promise<void> {
  const N = 4;
  const sink = await RtpReceiver.open();
  const bin = 'videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 ! vp8enc deadline=1 cpu-used=8 threads=1 lag-in-frames=0 ' +
    `! rtpvp8pay pt=96 ! udpsink host=127.0.0.1 port=${sink.port} sync=false`;
  for (const isolate of [false, true]) {
    const pool = new EnginePool({ size: 1, isolate });
    const engines = new Set<EngineProcess>();
    for (let i = 0; i < N; i++) {
      const e = await pool.acquire(`m${i}`);
      await e.request('addBin', { pipeline: `m${i}`, bin: 'enc', description: bin });
      engines.add(e);
    }
    await sleep(2000);
    const total = [...engines].reduce((n, e) => n + rssMb(e.pid), 0);
    console.log(`${N} light pipelines (320x240@15 VP8 encode to RTP), ${isolate ? 'isolated' : 'pooled'}: ${engines.size} process(es), RSS ${total.toFixed(0)} MB in all, ${(total / N).toFixed(0)} MB per pipeline`);
    await pool.close();
  }
  sink.close();
}

async function main(): Promise<void> {
  console.log(`# engine bench: Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  // 1. Cold start.
  const starts: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const e = await EngineProcess.start();
    starts.push(performance.now() - t0);
    await e.stop();
  }
  console.log(`spawn to ready (node-gtk + Gst.init; entry bundled by esbuild unless FLUO_ENGINE_TSX=1), median of 5: ${median(starts).toFixed(0)} ms (min ${Math.min(...starts).toFixed(0)}, max ${Math.max(...starts).toFixed(0)})`);

  // 2. First packet out of a new bin (videotestsrc 640x480 -> vp8enc -> RTP), warm and cold.
  const out = await RtpReceiver.open();
  const warm = await EngineProcess.start();
  await sleep(500);
  const idleRss = rssMb(warm.pid);
  console.log(`RSS of a fresh idle engine process: ${idleRss.toFixed(0)} MB`);
  const warmTimes: number[] = [];
  for (let i = 0; i < 5; i++) warmTimes.push(await firstPacket(warm, `w${i}`, out));
  console.log(`first RTP packet out of a new bin on a warm process, median of 5: ${median(warmTimes).toFixed(0)} ms`);
  const coldTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const e = await EngineProcess.start();
    await firstPacket(e, 'c', out);
    coldTimes.push(performance.now() - t0);
    await e.stop();
  }
  console.log(`first RTP packet out of a new bin on a cold process (spawn included), median of 5: ${median(coldTimes).toFixed(0)} ms`);

  // 3 and 4. Memory, and the transcode's CPU next to gst-launch.
  await sleep(500);
  const usedRss = rssMb(warm.pid);
  console.log(`RSS of that process idle again after 5 pipelines came and went: ${usedRss.toFixed(0)} MB`);
  const [inEngine, inLaunch] = [await freeUdpPort(), await freeUdpPort()];
  const [outEngine, outLaunch] = [await RtpReceiver.open(), await RtpReceiver.open()];
  await warm.request('addBin', { pipeline: 't', bin: 'vp8-to-h264', description: transcode(inEngine, outEngine.port) });
  const launch = spawn('gst-launch-1.0', ['-q', ...transcode(inLaunch, outLaunch.port).replace(/"/g, '').split(' ')], { stdio: 'ignore' });
  const sender: ChildProcess = spawn('gst-launch-1.0', ['-q',
    'videotestsrc', 'is-live=true', 'pattern=ball', 'motion=wavy', '!', 'video/x-raw,width=640,height=480,framerate=30/1',
    '!', 'vp8enc', 'deadline=1', 'cpu-used=4', 'threads=1', 'lag-in-frames=0', 'end-usage=cbr', 'target-bitrate=1000000', 'keyframe-max-dist=300',
    '!', 'rtpvp8pay', 'pt=96', 'mtu=1200', '!', 'multiudpsink', `clients=127.0.0.1:${inEngine},127.0.0.1:${inLaunch}`, 'sync=false'], { stdio: 'ignore' });
  await sleep(3000);
  const [e0, l0, t0] = [cpuTicks(warm.pid), cpuTicks(launch.pid as number), Date.now()];
  const [pe0, pl0] = [outEngine.packets.length, outLaunch.packets.length];
  await sleep(SECONDS * 1000);
  const secs = (Date.now() - t0) / 1000;
  const pct = (ticks: number) => (100 * ticks) / CLK_TCK / secs;
  const [eCpu, lCpu] = [pct(cpuTicks(warm.pid) - e0), pct(cpuTicks(launch.pid as number) - l0)];
  const rate = (r: RtpReceiver, from: number) => ((r.packets.length - from) / secs).toFixed(0);
  console.log(`VP8 -> H.264 640x480@30 RTP transcode (x264enc ultrafast zerolatency threads=2, 1 Mbps VP8 in), ${secs.toFixed(0)} s, ` +
    `% of one core: engine process ${eCpu.toFixed(1)} (its heartbeat included), gst-launch-1.0 ${lCpu.toFixed(1)}, ratio ${(eCpu / lCpu).toFixed(2)}; ` +
    `H.264 packets/s out: engine ${rate(outEngine, pe0)}, gst-launch ${rate(outLaunch, pl0)}`);
  console.log(`RSS with that transcode: engine ${rssMb(warm.pid).toFixed(0)} MB (+${(rssMb(warm.pid) - usedRss).toFixed(0)} MB over idle-after-use, +${(rssMb(warm.pid) - idleRss).toFixed(0)} MB over fresh), gst-launch-1.0 ${rssMb(launch.pid as number).toFixed(0)} MB`);
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);

  await stopChild(sender);
  await memoryPooledAndIsolated();
  launch.kill('SIGINT');
  await Promise.race([once(launch, 'exit'), sleep(2000)]);
  await stopChild(launch);
  await warm.stop();
  for (const r of [out, outEngine, outLaunch]) r.close();
}

await main();
