/**
 * The engine through Fluo (issue 11, "Benchmark"), each figure next to its reference
 * measured in the same run:
 * - CPU of one 640x480@30 VP8 -> H.264 transcode between two RtpEndpoints, next to the
 *   same GStreamer pipeline (Fluo's own transcoder description) in gst-launch-1.0;
 * - CPU of one WebM recording (VP8 + Opus passed through), next to gst-launch-1.0;
 * - latency the transcoder adds (frame in to frame out, p50/p99);
 * - first packet out of a new transcoder on a warm and on a cold engine process;
 * - RSS per engine process and per transcoding pipeline, pooled and isolated;
 * - concurrent transcodes before frames drop, next to gst-launch-1.0's count.
 * CPU comparisons run Fluo as its own process (`npm start`'s way), counted with its
 * engine processes from /proc; latency, first packets and memory use a Fluo in this
 * process, whose transcoders report their frame latencies. Senders replay a
 * pre-encoded file (filesrc ! matroskademux ! rtpvp8pay, ~2% of a core each).
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { startFluo, RpcClient } from '../test/helpers/fluo.ts';
import { engineChildren } from '../test/helpers/engine.ts';
import { freeUdpPort } from '../test/helpers/gstreamer.ts';
import { BenchRun, cpuWindow, fluoProcess, percentile, receiver, rssMb, sdp, sleep } from './benchKit.ts';
import { transcoderDescription, recorderDescriptionForBench } from './engineFluoPipelines.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const run = new BenchRun();
const dir = run.dir;
const gst = (args: string): ChildProcess => run.gst(args);
const sender = (videoPorts: number[], audioPorts: number[] = []): ChildProcess => run.sender(videoPorts, audioPorts);

type Fluo = Awaited<ReturnType<typeof startFluo>>;

/** A pipeline: RtpEndpoint (VP8 in) -> RtpEndpoint (H.264 only, out to `outPort`). Returns the port to send VP8 to. */
async function transcodePipeline(c: RpcClient, sid: string, outPort: number): Promise<{ P: string; inPort: number }> {
  const v = async (method: string, params: Record<string, unknown>) => (await c.ok(method, { ...params, sessionId: sid })).value as string;
  const P = await v('create', { type: 'MediaPipeline' });
  const a = await v('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: P } });
  const b = await v('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: P } });
  const answer = await v('invoke', { object: a, operation: 'processOffer', operationParams: { offer: sdp(40000, 'sendonly', [['video', '96 VP8/90000']]) } });
  await v('invoke', { object: b, operation: 'processOffer', operationParams: { offer: sdp(outPort, 'recvonly', [['video', '102 H264/90000']]) } });
  await v('invoke', { object: a, operation: 'connect', operationParams: { sink: b } });
  return { P, inPort: Number(/m=video (\d+)/.exec(answer)![1]) };
}

async function transcodeCpu(): Promise<void> {
  const f = await fluoProcess();
  const [outFluo, outGst] = [await receiver(), await receiver()];
  const { inPort } = await transcodePipeline(f.c, f.sid, outFluo.port);
  const gstIn = await freeUdpPort();
  const from = { name: 'VP8', clockRate: 90000 };
  const to = { name: 'H264', clockRate: 90000, fmtp: 'profile-level-id=42e01f;packetization-mode=1' };
  const launch = gst(transcoderDescription(from, to, gstIn, outGst.port));
  const send = sender([inPort, gstIn]);
  await sleep(8000);
  await f.settled();
  const [engine] = engineChildren(f.pid);
  const f0 = [outFluo.frames(), outGst.frames()];
  const [server, eng, gstCpu] = await cpuWindow([f.pid, engine!, launch.pid!], SECONDS);
  const fps = [(outFluo.frames() - f0[0]!) / SECONDS, (outGst.frames() - f0[1]!) / SECONDS];
  const fluoTotal = server! + eng!;
  console.log(`VP8 -> H.264 640x480@30 transcode (Fluo: RtpEndpoint -> RtpEndpoint negotiated H.264 only), ${SECONDS} s, % of one core: Fluo ${fluoTotal.toFixed(1)} (engine ${eng!.toFixed(1)} + server ${server!.toFixed(1)}), the same bin in gst-launch-1.0 ${gstCpu!.toFixed(1)}: ratio ${(fluoTotal / gstCpu!).toFixed(2)} (target <= 1.15; engine alone ${(eng! / gstCpu!).toFixed(2)}); frames/s out ${fps[0]!.toFixed(1)} / ${fps[1]!.toFixed(1)}`);
  send.kill('SIGKILL');
  launch.kill('SIGKILL');
  outFluo.close();
  outGst.close();
  await f.stop();
}

async function transcoderLatency(fluo: Fluo, c: RpcClient, sid: string): Promise<void> {
  const out = await receiver();
  const { P, inPort } = await transcodePipeline(c, sid, out.port);
  const send = sender([inPort]);
  await sleep(SECONDS * 1000 + 3000);
  const t = (await fluo.server.media.transcoderStats()).find((x) => x.to.startsWith('H264'));
  const lat = t?.latencyMs ?? [];
  console.log(`latency added by the transcoder (a frame's last packet into the engine to its last packet out of it), ${lat.length} frames: p50 ${percentile(lat, 0.5).toFixed(1)} ms, p99 ${percentile(lat, 0.99).toFixed(1)} ms (target p99 < 60 ms)`);
  send.kill('SIGKILL');
  out.close();
  await c.ok('release', { object: P, sessionId: sid });
}

async function recordingCpu(): Promise<void> {
  const f = await fluoProcess();
  const { c, sid } = f;
  const v = async (method: string, params: Record<string, unknown>) => (await c.ok(method, { ...params, sessionId: sid })).value as string;
  const P = await v('create', { type: 'MediaPipeline' });
  const a = await v('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: P } });
  const rec = await v('create', { type: 'RecorderEndpoint', constructorParams: { mediaPipeline: P, uri: `file://${join(dir, 'fluo.webm')}` } });
  const answer = await v('invoke', { object: a, operation: 'processOffer', operationParams: { offer: sdp(40000, 'sendonly', [['video', '96 VP8/90000'], ['audio', '111 opus/48000/2']]) } });
  const [vPort, aPort] = [...answer.matchAll(/m=\w+ (\d+)/g)].map((m) => Number(m[1]));
  await v('invoke', { object: a, operation: 'connect', operationParams: { sink: rec } });
  await v('invoke', { object: rec, operation: 'record', operationParams: {} });
  const [gv, ga] = [await freeUdpPort(), await freeUdpPort()];
  const launch = gst(recorderDescriptionForBench(gv, ga, join(dir, 'gst.webm')));
  const send = sender([vPort!, gv], [aPort!, ga]);
  await sleep(8000);
  await f.settled();
  const [engine] = engineChildren(f.pid);
  const [server, eng, gstCpu] = await cpuWindow([f.pid, engine!, launch.pid!], SECONDS);
  const fluoTotal = server! + eng!;
  console.log(`WebM recording (VP8 + Opus passed through; Fluo: RtpEndpoint -> RecorderEndpoint), ${SECONDS} s, % of one core: Fluo ${fluoTotal.toFixed(1)} (engine ${eng!.toFixed(1)} + server ${server!.toFixed(1)}), the same bin in gst-launch-1.0 ${gstCpu!.toFixed(1)}: ratio ${(fluoTotal / gstCpu!).toFixed(2)}`);
  send.kill('SIGKILL');
  launch.kill('SIGINT');
  await v('invoke', { object: rec, operation: 'stopAndWait', operationParams: {} });
  await c.ok('release', { object: P, sessionId: sid });
  await f.stop();
}

/** Time from connecting a transcoding sink to its first packet out (the source sends all along; keyframes every 167 ms). */
async function firstPacket(c: RpcClient, sid: string, label: string): Promise<void> {
  const out = await receiver();
  const v = async (method: string, params: Record<string, unknown>) => (await c.ok(method, { ...params, sessionId: sid })).value as string;
  const P = await v('create', { type: 'MediaPipeline' });
  const a = await v('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: P } });
  const b = await v('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: P } });
  const answer = await v('invoke', { object: a, operation: 'processOffer', operationParams: { offer: sdp(40000, 'sendonly', [['video', '96 VP8/90000']]) } });
  await v('invoke', { object: b, operation: 'processOffer', operationParams: { offer: sdp(out.port, 'recvonly', [['video', '102 H264/90000']]) } });
  const send = sender([Number(/m=video (\d+)/.exec(answer)![1])]);
  await sleep(1500);
  const t0 = performance.now();
  await v('invoke', { object: a, operation: 'connect', operationParams: { sink: b } });
  while (out.frames() === 0 && performance.now() - t0 < 15_000) await sleep(2);
  console.log(`first transcoded frame out after connect, ${label}: ${(performance.now() - t0).toFixed(0)} ms (includes waiting for the source's next keyframe, every 167 ms; target < 300 ms warm)`);
  send.kill('SIGKILL');
  out.close();
  await c.ok('release', { object: P, sessionId: sid });
}

async function memory(isolate: boolean): Promise<void> {
  const fluo = await startFluo((cfg) => ({ ...cfg, engine: { ...cfg.engine, isolatePipelines: isolate } }));
  const c = await RpcClient.open(fluo.url);
  const sid = (await c.ok('connect')).sessionId!;
  const N = 4;
  const outs = await Promise.all(Array.from({ length: N }, () => receiver()));
  const ins: number[] = [];
  for (const o of outs) ins.push((await transcodePipeline(c, sid, o.port)).inPort);
  const send = sender(ins);
  await sleep(6000);
  const pids = engineChildren();
  const rss = pids.reduce((n, p) => n + rssMb(p), 0);
  console.log(`${N} transcoding pipelines, ${isolate ? 'isolated (isolatePipelines)' : 'pooled (default)'}: ${pids.length} engine process(es), RSS ${rss.toFixed(0)} MB in all, ${(rss / N).toFixed(0)} MB per pipeline`);
  send.kill('SIGKILL');
  for (const o of outs) o.close();
  await c.close();
  await fluo.stop();
}

/** How many concurrent transcodes keep >= 95% of 30 fps each, through Fluo and with gst-launch-1.0. */
async function capacity(): Promise<void> {
  const holds = async (n: number, viaFluo: boolean): Promise<{ ok: boolean; worst: number }> => {
    const outs = await Promise.all(Array.from({ length: n }, () => receiver()));
    let fluo: Fluo | undefined;
    let c: RpcClient | undefined;
    const ins: number[] = [];
    const launches: ChildProcess[] = [];
    if (viaFluo) {
      fluo = await startFluo();
      c = await RpcClient.open(fluo.url);
      const sid = (await c.ok('connect')).sessionId!;
      for (const o of outs) ins.push((await transcodePipeline(c, sid, o.port)).inPort);
    } else {
      for (const o of outs) {
        const p = await freeUdpPort();
        ins.push(p);
        launches.push(gst(transcoderDescription({ name: 'VP8', clockRate: 90000 }, { name: 'H264', clockRate: 90000, fmtp: 'profile-level-id=42e01f;packetization-mode=1' }, p, o.port)));
      }
    }
    const senders = ins.map((p) => sender([p]));
    await sleep(5000);
    const f0 = outs.map((o) => o.frames());
    await sleep(6000);
    const worst = Math.min(...outs.map((o, i) => (o.frames() - f0[i]!) / 6));
    for (const s of [...senders, ...launches]) s.kill('SIGKILL');
    for (const o of outs) o.close();
    await c?.close();
    await fluo?.stop();
    return { ok: worst >= 0.95 * 30, worst };
  };
  for (const viaFluo of [true, false]) {
    let held = 0;
    const seen: string[] = [];
    // BENCH_TRANSCODE_FROM: the first step; the steps go on until frames drop (at most 48).
    for (let n = Number(process.env.BENCH_TRANSCODE_FROM ?? 2); n <= 48; n += 2) {
      const r = await holds(n, viaFluo);
      seen.push(`${n}: ${r.worst.toFixed(1)} fps`);
      if (!r.ok) break;
      held = n;
    }
    console.log(`concurrent 640x480@30 VP8 -> H.264 transcodes held at >= 28.5 fps each, ${viaFluo ? 'through Fluo' : 'gst-launch-1.0 processes'}: ${held} (worst stream per step: ${seen.join(', ')})`);
  }
}

await run.exec(`engine through Fluo, ${SECONDS} s windows`, async () => {
  await run.makeSource();
  // BENCH_ONLY_CAPACITY: the capacity steps alone (they take longest).
  if (process.env.BENCH_ONLY_CAPACITY) return capacity();
  const cold = await startFluo();
  const c = await RpcClient.open(cold.url);
  const sid = (await c.ok('connect')).sessionId!;
  await firstPacket(c, sid, 'cold engine (no engine process yet: spawn included)');
  await firstPacket(c, sid, 'warm engine');
  await firstPacket(c, sid, 'warm engine, again');
  await transcoderLatency(cold, c, sid);
  await c.close();
  await cold.stop();
  await transcodeCpu();
  await recordingCpu();
  await memory(false);
  await memory(true);
  if (!process.env.BENCH_NO_CAPACITY) await capacity();
});
