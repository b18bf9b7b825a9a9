/**
 * SFU benchmark: one publisher to N subscribers (werift peers that only count packets,
 * in another process), through a Fluo server process with ONE media worker, so the
 * figures are per core.
 *   node --import tsx bench/sfu.ts [--steps 5,10,20,40,80] [--seconds 6] [--cpu-prof DIR]
 *                                  [--publisher rtp|webrtc] [--noise] [--pin] [--idle 60]
 *                                  [--compare-batch] [--vs-janus] [--idle-endpoints 200]
 *                                  [--semi-space 32] [--workers 2 [--spread 50]] [--join-parallel 4]
 * The publisher, by default (`rtp`), is VP8 at 1.5 Mbps + Opus encoded once by ffmpeg
 * and replayed in real time by ffmpeg into an RtpEndpoint: the stream the issue names,
 * without a live encoder taking a core of this machine. `webrtc` publishes a live
 * libwebrtc peer (@roamhq/wrtc, VP8 640x480 + Opus) into a WebRtcEndpoint instead; it
 * sends ~150 kbps of its synthetic picture, or its full budget with `--noise` (the
 * encoder then needs most of a core).
 * --pin confines the server's whole process (Fluo: media worker, main thread, GC and
 * libuv threads) to CPU 0 and everything else (this driver, the subscribers, ffmpeg, the
 * publisher) to the other CPUs, so "per core" is what one core carried, not a quotient.
 * First packet and first frame: from the moment both descriptions are known (Fluo's
 * answer came; the subscriber's answer to Janus left) and from the start of the
 * subscription (before the endpoint is created or the Janus handle attached), medians
 * of the step's new subscribers. Fluo asks the source for a keyframe for every new
 * sink; the live `webrtc` publisher answers it at once, while the `rtp` one replays a
 * file and cannot, so there the first whole keyframe waits for the file's keyframe
 * interval (2 s; about 1 s median): a property of that source, as it would be with KMS.
 * Prints the first call's processOffer time on the fresh server and after --idle seconds
 * without calls, forwarded packets/s, CPU µs per forwarded packet, loss, first-packet
 * times, memory per subscriber (RSS growth from before the first, once the RSS settled)
 * and per idle WebRtcEndpoint, with the conditions. A step with more than 1% loss ends
 * Fluo's run (its figures printed, not counted as carried); Janus's runs on, its loss
 * shown, so that both are compared at every step.
 * --compare-batch runs the whole benchmark twice in a row, with batched sends (SendBatch)
 * and without (FLUO_BATCH=0), and prints the ratio of their costs per packet.
 * --vs-janus then runs the same steps through Debian's Janus 1.1 VideoRoom (private
 * configuration, 2 event loops, the same ffmpeg stream into a remote publisher, the same
 * subscribers joining as VideoRoom subscribers) and prints both side by side. Janus needs
 * a non-loopback interface: npm run bench:sfu gives its network namespace a dummy one.
 * --workers N gives Fluo N media workers (not with --pin) and one pipeline spread over
 * them (issue 14 item 6): from --spread subscribers on (default: the server's
 * mediaServer.pipelineSpreadThreshold), new ones go to the worker with the fewest and the
 * publisher's packets are piped once to the other workers. The subscribers' own CPU is
 * printed beside Fluo's: on a 2-core machine they are the limit long before Fluo is.
 */
import { spawn, spawnSync, fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { RpcClient } from '../test/helpers/fluo.ts';
import { RemotePeers } from '../test/helpers/RemotePeers.ts';
import { firstProcessOffer } from './firstOffer.ts';
import { rssMb } from './sfu/proc.ts';
import { fluoRtpPublisher, janusRtpPublisher } from './sfu/publishers.ts';
import { ask, runSteps, type FirstPackets, type StepResult } from './sfu/steps.ts';
import { JanusServer } from './janus/JanusServer.ts';
import { JanusSession } from './janus/JanusSession.ts';

const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : dflt; };
const steps = arg('steps', '5,10,20,40,80').split(',').map(Number);
const seconds = Number(arg('seconds', '6'));
const noisy = process.argv.includes('--noise');
const publisherKind = arg('publisher', 'rtp');
const pin = process.argv.includes('--pin');
/** --idle S: seconds without calls before the last first-call measurement (0: skip it). */
const idleSeconds = Number(arg('idle', '60'));
/** --idle-endpoints N: idle WebRtcEndpoints made to measure their memory (default 200; 0 with --vs-janus). */
const idleEndpoints = Number(arg('idle-endpoints', process.argv.includes('--vs-janus') ? '0' : '200'));
if (pin && os.cpus().length < 2) throw new Error('--pin needs at least 2 CPUs');
if (publisherKind !== 'rtp' && publisherKind !== 'webrtc') throw new Error('--publisher rtp|webrtc');
const root = fileURLToPath(new URL('..', import.meta.url));
/** --semi-space MB: V8's young generation semi-space of Fluo's process (npm start: 32). */
const semiSpace = Number(arg('semi-space', '32'));
/** The interface scripts/netns.mjs makes for Janus's ICE. */
const JANUS_IFACE = 'fluo0';
/** --workers N: Fluo's media workers; one pipeline spread over them past --spread endpoints on its home. */
const workers = Number(arg('workers', '1'));
const spread = arg('spread', '');
/** --join-parallel N: subscribers joining at a time (default 1: first-packet times of joins one by one). */
const joinParallel = Number(arg('join-parallel', '1'));
if (pin && workers > 1) throw new Error('--pin confines Fluo to one core: not with --workers');

async function freePort(): Promise<number> {
  return new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); }); });
}

function subscribersProcess(): Promise<ChildProcess> {
  const p = fork(fileURLToPath(new URL('./sfuSubscribers.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((r) => p.once('message', () => r(p)));
}

const machine = (): string => `${os.cpus().length} cores (${os.cpus()[0]?.model}), node ${process.version}`;
const where = (): string => (pin ? ', its whole process pinned to CPU 0 and the rest to the other CPUs' : '');

/** Fluo, with or without batched sends: the steps' results. */
async function fluo(batch: boolean): Promise<StepResult[]> {
  const port = await freePort();
  // --cpu-prof DIR: V8 CPU profiles of Fluo's threads (main and media worker) into DIR.
  const prof = arg('cpu-prof', '');
  const serverArgs = [...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []), ...(process.env.BENCH_PERF ? ['--perf-basic-prof'] : []), ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), `--max-semi-space-size=${semiSpace}`, 'src/fluo.mjs', '--port', String(port), '--media-workers', String(workers), '--gst-debug-level', '1'];
  const env = { ...process.env, FLUO_BATCH: batch ? '1' : '0', ...(spread ? { FLUO_PIPELINE_SPREAD: spread } : {}) };
  const server = pin
    ? spawn('taskset', ['-c', '0', process.execPath, ...serverArgs], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env })
    : spawn(process.execPath, serverArgs, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env });
  const url = `ws://127.0.0.1:${port}/kurento`;
  let c: RpcClient | undefined;
  for (let i = 0; i < 100 && !c; i++) { try { c = await RpcClient.open(url); } catch { await new Promise((r) => setTimeout(r, 100)); } }
  if (!c) throw new Error('Fluo did not start');
  const sid = (await c.ok('connect')).sessionId!;
  const peers = new RemotePeers();
  let ffmpeg: ChildProcess | undefined;
  const subs = await subscribersProcess();
  try {
    console.log(`# Fluo SFU benchmark: ${machine()}; Fluo with ${workers === 1 ? '1 media worker' : `${workers} media workers, the pipeline spread over them${spread ? ` past ${spread} endpoints` : ''}`}, ${process.env.FLUO_WEBRTC_PORT ? `single-port mode (${process.env.FLUO_WEBRTC_PORT})` : 'a port per endpoint'}, batched sends ${batch ? 'on' : 'off (FLUO_BATCH=0)'}${where()}; publisher ${publisherKind === 'rtp' ? 'ffmpeg replaying VP8 640x480@30 1.5 Mbps + Opus into an RtpEndpoint' : `wrtc VP8 640x480@30${noisy ? ' (half the picture noise)' : ''} + Opus into a WebRtcEndpoint`}; subscribers werift counting SRTP packets at the socket, in another process; loopback; ${seconds} s per step`);
    const fresh = await firstProcessOffer(c, sid);
    console.log(`first call on a fresh server: processOffer ${fresh.processOfferMs.toFixed(0)} ms (create pipeline + endpoint + processOffer ${fresh.totalMs.toFixed(0)} ms; target < 100 ms)`);
    // Memory per idle endpoint. Their memory goes back to the system some time after
    // their release, during the steps, and hides the subscribers' own: skipped where the
    // per-subscriber figure counts (--vs-janus), unless asked for.
    if (idleEndpoints > 0) {
      const P0 = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
      await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P0 }, sessionId: sid });
      await new Promise((r) => setTimeout(r, 1000));
      const m0 = rssMb(server.pid!);
      const idle = idleEndpoints;
      for (let i = 0; i < idle; i++) {
        const e = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P0 }, sessionId: sid })).value as string;
        await c.ok('invoke', { object: e, operation: 'generateOffer', sessionId: sid });
      }
      await new Promise((r) => setTimeout(r, 1000));
      const perIdle = ((rssMb(server.pid!) - m0) * 1024) / idle;
      await c.ok('release', { object: P0, sessionId: sid });
      console.log(`memory per idle WebRtcEndpoint (after generateOffer): ${perIdle.toFixed(0)} KiB (RSS delta over ${idle})`);
      await settledRss(server.pid!);
    }
    const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
    let pub: string;
    if (publisherKind === 'rtp') {
      const p = await fluoRtpPublisher(c, sid, P);
      pub = p.endpoint;
      ffmpeg = p.ffmpeg;
    } else {
      pub = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P }, sessionId: sid })).value as string;
      // KMS's defaults cap each sink at 500 kbps (maxVideoSendBandwidth) and start REMB at
      // 300 kbps: lift both so the publisher may send ~1.5 Mbps.
      await c.ok('invoke', { object: pub, operation: 'setRembParams', operationParams: { rembParams: { rembOnConnect: 1_500_000 } }, sessionId: sid });
      await c.ok('invoke', { object: pub, operation: 'setMaxVideoRecvBandwidth', operationParams: { maxVideoRecvBandwidth: 1500 }, sessionId: sid });
      const publisher = await peers.create({ width: 640, height: 480, noise: noisy });
      await publisher.connectTo(c, pub, sid);
    }
    await new Promise((r) => setTimeout(r, 3000));
    const rpc = c;
    const results = await runSteps({
      subscribers: subs, steps, seconds, pin, cores: workers,
      target: {
        pid: server.pid!,
        add: async (count) => (await ask(subs, { op: 'add', url, pipeline: P, source: pub, count, parallel: joinParallel })) as FirstPackets,
        // Video bytes Fluo received from the publisher (its inbound stats).
        publisherBytes: async () => {
          const st = (await rpc.ok('invoke', { object: pub, operation: 'getStats', operationParams: { mediaType: 'VIDEO' }, sessionId: sid })).value as Record<string, Record<string, unknown>>;
          return Number(Object.values(st).find((x) => x.type === 'inboundrtp')?.bytesReceived ?? 0);
        },
        note: () => metricsNote(port),
      },
    });
    const best = results.filter((r) => r.loss <= 1).at(-1);
    // Subscribers one core would carry at the cost per subscriber of the largest step
    // without loss (Fluo's whole process: media worker, main thread, GC helpers; and the
    // softirq time its sending caused, see bench/sfu/proc.ts kernelTicks).
    if (best) console.log(`subscriber streams per core (at ${best.n} subscribers, ${pin ? "CPU 0's busy time" : "Fluo's CPU + the machine's softirq"}): ${best.perCore.toFixed(0)}`);
    if (idleSeconds > 0) {
      await c.ok('release', { object: P, sessionId: sid });
      await new Promise((r) => setTimeout(r, idleSeconds * 1000));
      const after = await firstProcessOffer(c, sid);
      console.log(`first call after ${idleSeconds} s without calls: processOffer ${after.processOfferMs.toFixed(0)} ms (create pipeline + endpoint + processOffer ${after.totalMs.toFixed(0)} ms; target < 100 ms)`);
    }
    return results;
  } finally {
    peers.stop();
    ffmpeg?.kill('SIGKILL');
    subs.kill('SIGKILL');
    server.kill('SIGINT');
    await c.close();
    // The next run (--compare-batch, --vs-janus) may bind the same single port.
    if (server.exitCode === null) await new Promise((r) => { server.once('exit', r); setTimeout(r, 5000).unref(); });
  }
}

/** Waits (up to 15 s) until a process's RSS moves by less than 1 MB in a second. */
async function settledRss(pid: number): Promise<void> {
  let last = rssMb(pid);
  for (let i = 0; i < 15; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = rssMb(pid);
    if (Math.abs(now - last) < 1) return;
    last = now;
  }
}

/** Janus 1.1's VideoRoom on the same publisher stream and subscribers: the steps' results. */
async function janus(): Promise<StepResult[]> {
  if (!JanusServer.available()) throw new Error('--vs-janus needs Debian\'s janus (bash install.sh installs it)');
  if (!os.networkInterfaces()[JANUS_IFACE]) throw new Error(`--vs-janus needs the ${JANUS_IFACE} interface that npm run bench:sfu makes in its network namespace`);
  const server = await JanusServer.start({ httpPort: await freePort(), iface: JANUS_IFACE, eventLoops: 2, cpus: pin ? '0' : undefined });
  const session = await JanusSession.create(server.url);
  const subs = await subscribersProcess();
  let ffmpeg: ChildProcess | undefined;
  try {
    const version = JanusServer.version() ?? 'Janus';
    console.log(`# Janus SFU benchmark: ${machine()}; ${version}, VideoRoom plugin and HTTP transport only, 2 event loops${where()}; publisher the same ffmpeg stream into a VideoRoom remote publisher; the same werift subscribers, joining as VideoRoom subscribers; ICE on a dummy interface of the namespace; ${seconds} s per step`);
    const p = await janusRtpPublisher(session, 1234);
    ffmpeg = p.ffmpeg;
    await new Promise((r) => setTimeout(r, 3000));
    return await runSteps({
      subscribers: subs, steps, seconds, pin, stopOnLoss: false,
      target: { pid: server.pid, add: async (count) => (await ask(subs, { op: 'addJanus', url: server.url, room: p.room, feed: p.feed, count })) as FirstPackets },
    });
  } finally {
    ffmpeg?.kill('SIGKILL');
    subs.kill('SIGKILL');
    await session.destroy();
    await server.stop();
  }
}

/** What /metrics says after a step: batched sends, and with several workers how the room is spread. */
async function metricsNote(port: number): Promise<string | undefined> {
  const lines = (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).split('\n');
  const samples = (name: string, label = ''): string[] => lines.filter((l) => l.startsWith(name) && l.includes(label));
  const sum = (name: string, label = ''): number => samples(name, label).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
  const notes: string[] = [];
  const calls = sum('fluo_rtp_send_batches_total');
  const copies = sum('fluo_rtp_batched_packets_total');
  const all = sum('fluo_rtp_packets_sent_total', 'transport="webrtc"');
  if (calls) notes.push(`sent in batches so far: ${((100 * copies) / Math.max(all, 1)).toFixed(1)}% of WebRTC packets, ${(copies / calls).toFixed(1)} copies per call`);
  if (workers > 1) {
    const byWorker = samples('fluo_rtp_packets_sent_total', 'transport="webrtc"').map((l) => `worker ${/worker="(\d+)"/.exec(l)?.[1] ?? '?'} ${l.split(' ').pop()}`);
    notes.push(`WebRTC packets sent so far by ${byWorker.join(', ')}; piped between workers ${sum('fluo_piped_packets_total', 'direction="sent"')}`);
  }
  return notes.join('; ') || undefined;
}

async function run(): Promise<void> {
  if (pin) {
    // All threads of this process, and so every child spawned after this, off CPU 0.
    const r = spawnSync('taskset', ['-a', '-cp', `1-${os.cpus().length - 1}`, String(process.pid)], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error('--pin needs taskset (util-linux)');
  }
  const on = await fluo(true);
  if (process.argv.includes('--compare-batch')) {
    const off = await fluo(false);
    const a = on.filter((r) => r.loss <= 1).at(-1);
    const b = off.filter((r) => r.loss <= 1).at(-1);
    if (a && b) console.log(`batched sends: ${a.usPerPacket.toFixed(2)} µs/pkt at ${a.n} subscribers against ${b.usPerPacket.toFixed(2)} without at ${b.n} (ratio ${(a.usPerPacket / b.usPerPacket).toFixed(2)}); streams per core ${a.perCore.toFixed(0)} against ${b.perCore.toFixed(0)}`);
  }
  if (process.argv.includes('--vs-janus')) {
    const j = await janus();
    console.log('# side by side, same run: subscribers | µs/forwarded pkt Fluo, Janus (ratio) | loss % Fluo, Janus | first packet from start, median ms, Fluo, Janus | RSS KiB per subscriber Fluo, Janus');
    for (const f of on) {
      const r = j.find((x) => x.n === f.n);
      if (!r) continue;
      console.log(`${String(f.n).padStart(6)} | ${f.usPerPacket.toFixed(1)}, ${r.usPerPacket.toFixed(1)} (${(f.usPerPacket / r.usPerPacket).toFixed(2)}) | ${f.loss.toFixed(2)}, ${r.loss.toFixed(2)} | ${f.firstPacketFromStart.toFixed(0)}, ${r.firstPacketFromStart.toFixed(0)} | ${f.rssPerSubscriberKiB.toFixed(0)}, ${r.rssPerSubscriberKiB.toFixed(0)}`);
    }
  }
}

run().catch((e) => { console.error(e); process.exit(1); });
