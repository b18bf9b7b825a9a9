/**
 * Hubs (issue 13, "Benchmark"), each figure next to its reference measured in the same run:
 * - CPU of a Composite of 2, 4 and 9 inputs at 640x480@30 (VP8 + Opus in; the grid
 *   encoded once in VP8, each port's mix-minus audio in Opus, out of one RtpEndpoint per
 *   port), next to the same compositor/audiomixer pipeline in one gst-launch-1.0
 *   (Fluo's own bin descriptions, mix-minus included, the grid sent once);
 * - glass-to-glass latency of a flash through a 4-input Composite, next to plain forwarding
 *   (bench/flash.ts);
 * - how many 4-input rooms one Fluo holds with every room's picture at >= 25 fps.
 * Fluo runs as its own process (its CPU counted with its engine processes from /proc);
 * one gst-launch-1.0 replays a pre-encoded file to every input (~2% of a core).
 * BENCH_PORTS=2,4,9, BENCH_SECONDS=10 and BENCH_FLASHES=20 choose; BENCH_NO_LATENCY=1 and
 * BENCH_NO_CAPACITY=1 skip those parts.
 */
import type { RpcClient } from '../test/helpers/fluo.ts';
import { engineChildren } from '../test/helpers/engine.ts';
import { freeUdpPort } from '../test/helpers/gstreamer.ts';
import { BenchRun, cpuWindow, fluoProcess, percentile, receiver, sdp, sleep } from './benchKit.ts';
import { FlashSource, FlashWatcher, flashes } from './flash.ts';
import { decoderDescription } from '../src/media/transcode/formats.ts';
import { FilterOutput } from '../src/media/filters/FilterOutput.ts';
import { gridLayout } from '../src/media/hubs/gridLayout.ts';
import { audioInputTail, audioMixerDescription, VIDEO_INPUT_TAIL, videoMixerDescription } from '../src/media/hubs/mixDescriptions.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const PORTS = (process.env.BENCH_PORTS ?? '2,4,9').split(',').map(Number).filter((n) => n > 0);
const VP8 = { name: 'VP8', clockRate: 90000 };
const OPUS = { name: 'opus', clockRate: 48000, channels: 2 };
const SETTINGS = { width: 640, height: 480, framerate: 30 };
const FLASHES = Number(process.env.BENCH_FLASHES ?? 20);
const run = new BenchRun();

type Receiver = Awaited<ReturnType<typeof receiver>>;

/**
 * A Composite of `n` inputs in a new pipeline; answers the ports to send each input's VP8
 * and Opus to, and the receivers of each port's picture (port 0's goes to `firstOut` if given).
 */
async function composite(c: RpcClient, sid: string, n: number, firstOut?: number): Promise<{ P: string; video: number[]; audio: number[]; outs: Receiver[] }> {
  const v = async (method: string, params: Record<string, unknown>) => (await c.ok(method, { ...params, sessionId: sid })).value as string;
  const P = await v('create', { type: 'MediaPipeline' });
  const hub = await v('create', { type: 'Composite', constructorParams: { mediaPipeline: P, ...SETTINGS } });
  const video: number[] = [];
  const audio: number[] = [];
  const outs: Receiver[] = [];
  for (let i = 0; i < n; i++) {
    const input = await v('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: P } });
    const answer = await v('invoke', { object: input, operation: 'processOffer', operationParams: { offer: sdp(40000, 'sendonly', [['video', '96 VP8/90000'], ['audio', '111 opus/48000/2']]) } });
    const [vp, ap] = [...answer.matchAll(/m=\w+ (\d+)/g)].map((m) => Number(m[1]));
    video.push(vp!);
    audio.push(ap!);
    const port = await v('create', { type: 'HubPort', constructorParams: { hub } });
    await v('invoke', { object: input, operation: 'connect', operationParams: { sink: port } });
    let outPort = firstOut;
    if (i > 0 || firstOut === undefined) {
      const out = await receiver();
      outs.push(out);
      outPort = out.port;
    }
    const output = await v('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: P } });
    // The audio m-line's port (out.port + 2) has no listener: its packets are sent and dropped.
    await v('invoke', { object: output, operation: 'processOffer', operationParams: { offer: sdp(outPort!, 'recvonly', [['video', '96 VP8/90000'], ['audio', '111 opus/48000/2']]) } });
    await v('invoke', { object: port, operation: 'connect', operationParams: { sink: output } });
  }
  return { P, video, audio, outs };
}

/** The same bins as Fluo's Composite of `n` inputs, in one gst-launch-1.0 description. */
function gstComposite(n: number, video: number[], audio: number[], out: number, audioOut: number): string {
  const named = (d: string, k: string): string => d.replace(/name=(in|enc|out)\b/g, `name=$1_${k}`);
  // The grid Fluo lays (scaling each input into its cell is most of a composite's work).
  const cells = gridLayout(n, SETTINGS.width, SETTINGS.height).map((c, i) =>
    Object.entries({ ...c, zorder: 1, 'sizing-policy': 'keep-aspect-ratio' }).map(([k, v]) => `sink_${i + 1}::${k}=${v}`).join(' ')).join(' ');
  const parts = [videoMixerDescription(SETTINGS).replace('sink_0::alpha=0', `sink_0::alpha=0 ${cells}`), `t. ! ${named(FilterOutput.description('VIDEO', VP8, out), 'v')}`];
  for (let i = 0; i < n; i++) {
    parts.push(`${named(decoderDescription('VIDEO', VP8), `v${i}`).replace('port=0', `port=${video[i]}`)}${VIDEO_INPUT_TAIL} ! mix.sink_${i + 1}`);
    parts.push(`${named(decoderDescription('AUDIO', OPUS), `a${i}`).replace('port=0', `port=${audio[i]}`)}${audioInputTail(`_in${i}`)}`);
    parts.push(audioMixerDescription(`_${i}`), `t_${i}. ! ${named(FilterOutput.description('AUDIO', OPUS, audioOut), `a${i}`)}`);
  }
  // Each mixer's inputs on sink_1.. (sink_0 is its silence); gst-launch needs the pad named.
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) parts.push(`t_in${i}. ! amix_${j}.sink_${i < j ? i + 1 : i}`);
  return parts.join(' ');
}

const minFps = (outs: Receiver[], f0: number[], secs: number): number => Math.min(...outs.map((o, i) => (o.frames() - f0[i]!) / secs));

async function compositeCpu(n: number): Promise<void> {
  const f = await fluoProcess();
  const room = await composite(f.c, f.sid, n);
  const gstOut = await receiver();
  const [gv, ga] = [await Promise.all(Array.from({ length: n }, () => freeUdpPort())), await Promise.all(Array.from({ length: n }, () => freeUdpPort()))];
  const launch = run.gst(gstComposite(n, gv, ga, gstOut.port, gstOut.port + 2));
  await sleep(4000);
  await f.settled();
  const [engine] = engineChildren(f.pid);
  // Without input first: the mixers' live sources and the encoders alone.
  const idle = await cpuWindow([f.pid, engine!, launch.pid!], Math.min(5, SECONDS));
  const send = run.sender([...room.video, ...gv], [...room.audio, ...ga]);
  await sleep(6000);
  const f0 = [...room.outs, gstOut].map((o) => o.frames());
  const [server, eng, gstCpu] = await cpuWindow([f.pid, engine!, launch.pid!], SECONDS);
  const fluoFps = minFps(room.outs, f0, SECONDS);
  const gstFps = (gstOut.frames() - f0.at(-1)!) / SECONDS;
  const fluoTotal = server! + eng!;
  console.log(`Composite of ${n} inputs, 640x480@30 VP8 + Opus in, grid VP8 + ${n} mix-minus Opus out, ${SECONDS} s, % of one core: Fluo ${fluoTotal.toFixed(1)} (engine ${eng!.toFixed(1)} + server ${server!.toFixed(1)}), ` +
    `the same bins in gst-launch-1.0 ${gstCpu!.toFixed(1)}: ratio ${(fluoTotal / gstCpu!).toFixed(2)} (target <= 1.15; engine alone ${(eng! / gstCpu!).toFixed(2)}); grid frames/s: Fluo (worst of ${n} ports) ${fluoFps.toFixed(1)}, gst-launch ${gstFps.toFixed(1)}; ` +
    `before any input: Fluo ${(idle[0]! + idle[1]!).toFixed(1)} (engine ${idle[1]!.toFixed(1)}), gst-launch ${idle[2]!.toFixed(1)}`);
  send.kill('SIGKILL');
  launch.kill('SIGKILL');
  for (const o of [...room.outs, gstOut]) o.close();
  await f.stop();
}

/** 4-input rooms added one by one to one Fluo until a room's picture falls under 25 fps. */
async function capacity(): Promise<void> {
  const f = await fluoProcess();
  const rooms: Array<Awaited<ReturnType<typeof composite>>> = [];
  const seen: string[] = [];
  let held = 0;
  for (let k = 1; k <= 8; k++) {
    const room = await composite(f.c, f.sid, 4);
    rooms.push(room);
    run.sender(room.video, room.audio);
    await sleep(6000);
    const outs = rooms.flatMap((r) => r.outs);
    const f0 = outs.map((o) => o.frames());
    await sleep(6000);
    const worst = minFps(outs, f0, 6);
    seen.push(`${k}: ${worst.toFixed(1)} fps`);
    if (worst < 25) break;
    held = k;
  }
  console.log(`4-input Composite rooms (640x480@30) one Fluo holds with every port's picture at >= 25 fps on this machine: ${held} (worst port per step: ${seen.join(', ')}); Medooze's reference: 3 VGA participants per core`);
  for (const o of rooms.flatMap((r) => r.outs)) o.close();
  await f.stop();
}

/**
 * Glass-to-glass latency through a 4-input Composite (flashes into input 0, seen in its
 * cell of port 0's picture), next to the same flashes forwarded by two RtpEndpoints.
 */
async function compositeLatency(): Promise<void> {
  const f = await fluoProcess();
  const v = async (method: string, params: Record<string, unknown>) => (await f.c.ok(method, { ...params, sessionId: f.sid })).value as string;
  const measure = async (label: string, cell: (x: number, y: number) => boolean, build: (watchPort: number) => Promise<number>): Promise<number[]> => {
    const source = await FlashSource.start(run);
    const watcher = await FlashWatcher.start(run, 96, cell);
    source.sendTo(await build(watcher.port));
    await sleep(4000);
    const lat = await flashes(source, watcher, FLASHES);
    source.close();
    console.log(`glass-to-glass ${label}, ${lat.length} of ${FLASHES} flashes seen: p50 ${percentile(lat, 0.5).toFixed(0)} ms, p99 ${percentile(lat, 0.99).toFixed(0)} ms`);
    return lat;
  };
  const forwarded = await measure('forwarded (RtpEndpoint -> RtpEndpoint, the reference)', () => true, async (watch) => {
    const P = await v('create', { type: 'MediaPipeline' });
    const [a, b] = [await v('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: P } }), await v('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: P } })];
    const answer = await v('invoke', { object: a, operation: 'processOffer', operationParams: { offer: sdp(40000, 'sendonly', [['video', '96 VP8/90000']]) } });
    await v('invoke', { object: b, operation: 'processOffer', operationParams: { offer: sdp(watch, 'recvonly', [['video', '96 VP8/90000']]) } });
    await v('invoke', { object: a, operation: 'connect', operationParams: { sink: b } });
    return Number(/m=video (\d+)/.exec(answer)![1]);
  });
  const mixed = await measure('through a 4-input Composite 640x480@30 (input 0 in its top-left cell)', (x, y) => x > 0.1 && x < 0.4 && y > 0.1 && y < 0.4, async (watch) => {
    const room = await composite(f.c, f.sid, 4, watch);
    run.sender(room.video.slice(1), room.audio);
    return room.video[0]!;
  });
  console.log(`latency the Composite adds (p50 over forwarding): ${(percentile(mixed, 0.5) - percentile(forwarded, 0.5)).toFixed(0)} ms (target: glass-to-glass under 150 ms; Kurento users report 280-370 ms)`);
  await f.stop();
}

await run.exec(`hubs, ${SECONDS} s windows`, async () => {
  await run.makeSource();
  for (const n of PORTS) await compositeCpu(n);
  if (!process.env.BENCH_NO_LATENCY) await compositeLatency();
  if (!process.env.BENCH_NO_CAPACITY) await capacity();
});
