/**
 * SFU benchmark: one publisher to N subscribers (werift peers that only count packets,
 * in another process), through a Fluo server process with ONE media worker, so the
 * figures are per core.
 *   node --import tsx bench/sfu.ts [--steps 5,10,20,40,80] [--seconds 6] [--cpu-prof DIR]
 *                                  [--publisher rtp|webrtc] [--noise] [--pin] [--idle 60]
 *                                  [--compare-batch]
 * The publisher, by default (`rtp`), is VP8 at 1.5 Mbps + Opus encoded once by ffmpeg
 * and replayed in real time by ffmpeg into an RtpEndpoint: the stream the issue names,
 * without a live encoder taking a core of this machine. `webrtc` publishes a live
 * libwebrtc peer (@roamhq/wrtc, VP8 640x480 + Opus) into a WebRtcEndpoint instead; it
 * sends ~150 kbps of its synthetic picture, or its full budget with `--noise` (the
 * encoder then needs most of a core).
 * --pin confines Fluo's whole process (media worker, main thread, GC and libuv threads)
 * to CPU 0 and everything else (this driver, the subscribers, ffmpeg, the publisher) to
 * the other CPUs, so "per core" is what one core carried, not a quotient.
 * First frame: the time from Fluo's answer to the subscriber's first whole VP8 keyframe
 * (the first picture it could show). Fluo asks the source for a keyframe for every new
 * sink; the live `webrtc` publisher answers it at once, while the `rtp` one replays a
 * file and cannot, so there the wait is the file's keyframe interval (2 s; about 1 s
 * median): a property of that source, as it would be with KMS.
 * Prints the first call's processOffer time on the fresh server and after --idle seconds
 * without calls, forwarded packets/s, Fluo CPU µs per forwarded packet, loss,
 * first-packet time, and memory per idle WebRtcEndpoint, with the conditions.
 * --compare-batch runs the whole benchmark twice in a row, with batched sends (SendBatch)
 * and without (FLUO_BATCH=0), and prints the ratio of their costs per packet.
 */
import { spawn, spawnSync, fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { RpcClient } from '../test/helpers/fluo.ts';
import { RemotePeers } from '../test/helpers/RemotePeers.ts';
import { firstProcessOffer } from './firstOffer.ts';

const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : dflt; };
const steps = arg('steps', '5,10,20,40,80').split(',').map(Number);
const seconds = Number(arg('seconds', '6'));
const noisy = process.argv.includes('--noise');
const publisherKind = arg('publisher', 'rtp');
const pin = process.argv.includes('--pin');
/** --idle S: seconds without calls before the last first-call measurement (0: skip it). */
const idleSeconds = Number(arg('idle', '60'));
if (pin && os.cpus().length < 2) throw new Error('--pin needs at least 2 CPUs');
if (publisherKind !== 'rtp' && publisherKind !== 'webrtc') throw new Error('--publisher rtp|webrtc');
const root = fileURLToPath(new URL('..', import.meta.url));
/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICK = 100;

/** CPU seconds of a process in user space and in the kernel (its threads' utime and stime). */
function cpuSeconds(pid: number): { user: number; sys: number } {
  let user = 0;
  let sys = 0;
  for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
    const f = fs.readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8').split(') ')[1]!.split(' ');
    user += Number(f[11]);
    sys += Number(f[12]);
  }
  return { user: user / TICK, sys: sys / TICK };
}
/** UDP counters of this network namespace (/proc/net/snmp): datagrams the kernel dropped for full buffers. */
function udpDrops(): { rcvbuf: number; sndbuf: number } {
  const lines = fs.readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/);
  const values = lines[1]!.split(/\s+/).map(Number);
  return { rcvbuf: values[names.indexOf('RcvbufErrors')] ?? 0, sndbuf: values[names.indexOf('SndbufErrors')] ?? 0 };
}
/**
 * Ticks spent in softirq by every CPU, and busy (everything but idle and iowait) and in
 * softirq by CPU 0 (/proc/stat). This kernel accounts softirq time apart from the task
 * it interrupted, and loopback delivery runs as softirq on the sending CPU: a process's
 * own CPU time leaves out part of what its sending cost. With --pin, CPU 0's busy time
 * is the whole cost; without it, the machine's softirq time is added (an upper bound:
 * it also holds ffmpeg's and the subscribers' sending).
 */
function kernelTicks(): { softirq: number; cpu0Busy: number } {
  const stat = fs.readFileSync('/proc/stat', 'utf8');
  const fields = (re: RegExp): number[] => re.exec(stat)![1]!.trim().split(/\s+/).map(Number);
  const all = fields(/^cpu (.*)$/m);
  const c0 = fields(/^cpu0 (.*)$/m);
  return { softirq: all[6]! / TICK, cpu0Busy: (c0.slice(0, 8).reduce((a, b) => a + b, 0) - c0[3]! - c0[4]!) / TICK };
}
const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function freePort(): Promise<number> {
  return new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); }); });
}

/**
 * 20 s of 640x480@30 VP8 at 1.5 Mbps and Opus, encoded once and kept in the temp dir.
 * Noise on the test pattern makes the encoder spend its whole budget, as a camera would.
 */
function encodedMedia(): string {
  const file = path.join(os.tmpdir(), 'fluo-bench-vp8-1500k-opus.webm');
  if (fs.existsSync(file)) return file;
  console.error('# encoding 20 s of VP8 1.5 Mbps + Opus once with ffmpeg...');
  const r = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '20',
    '-vf', 'noise=alls=20:allf=t+u', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '1500k', '-minrate', '1500k',
    '-maxrate', '1500k', '-bufsize', '3000k', '-g', '60', '-auto-alt-ref', '0', '-c:a', 'libopus', '-b:a', '48k', '-ac', '2', `${file}.tmp.webm`], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('ffmpeg could not encode the benchmark media');
  fs.renameSync(`${file}.tmp.webm`, file);
  return file;
}

/**
 * The RTP publisher: an RtpEndpoint told (processOffer) that VP8 on 96 and Opus on 111
 * will come, and ffmpeg replaying the encoded file to the ports of its answer, in real
 * time and in a loop. Returns the endpoint and the ffmpeg process.
 */
async function rtpPublisher(c: RpcClient, sid: string, pipeline: string): Promise<{ endpoint: string; ffmpeg: ChildProcess }> {
  const media = encodedMedia();
  const endpoint = (await c.ok('create', { type: 'RtpEndpoint', constructorParams: { mediaPipeline: pipeline }, sessionId: sid })).value as string;
  const offer = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=ffmpeg', 'c=IN IP4 127.0.0.1', 't=0 0',
    'm=video 9 RTP/AVP 96', 'a=rtpmap:96 VP8/90000', 'a=sendonly', 'm=audio 9 RTP/AVP 111', 'a=rtpmap:111 opus/48000/2', 'a=sendonly', ''].join('\r\n');
  const answer = (await c.ok('invoke', { object: endpoint, operation: 'processOffer', operationParams: { offer }, sessionId: sid })).value as string;
  const video = Number(/m=video (\d+)/.exec(answer)?.[1]);
  const audio = Number(/m=audio (\d+)/.exec(answer)?.[1]);
  if (!video || !audio) throw new Error(`RtpEndpoint answer without ports: ${answer}`);
  const ffmpeg = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', media,
    '-map', '0:v', '-c', 'copy', '-payload_type', '96', '-f', 'rtp', `rtp://127.0.0.1:${video}?pkt_size=1200`,
    '-map', '0:a', '-c', 'copy', '-payload_type', '111', '-f', 'rtp', `rtp://127.0.0.1:${audio}`], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { endpoint, ffmpeg };
}

function ask(child: ChildProcess, msg: Record<string, unknown>): Promise<unknown> {
  const id = Math.random();
  return new Promise((resolve) => {
    const on = (m: { id?: number; value?: unknown }): void => { if (m.id === id) { child.off('message', on); resolve(m.value); } };
    child.on('message', on);
    child.send({ ...msg, id });
  });
}

/** The largest step without loss: subscribers, and µs of cost per forwarded packet. */
interface Summary { n: number; perCore: number; usPerPacket: number }

async function main(batch = true): Promise<Summary | undefined> {
  const port = await freePort();
  if (pin) {
    // All threads of this process, and so every child spawned after this, off CPU 0.
    const r = spawnSync('taskset', ['-a', '-cp', `1-${os.cpus().length - 1}`, String(process.pid)], { stdio: 'ignore' });
    if (r.status !== 0) throw new Error('--pin needs taskset (util-linux)');
  }
  // --cpu-prof DIR: V8 CPU profiles of Fluo's threads (main and media worker) into DIR.
  const prof = arg('cpu-prof', '');
  const serverArgs = [...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []), ...(process.env.BENCH_PERF ? ['--perf-basic-prof'] : []), ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), '--max-semi-space-size=32', 'src/fluo.mjs', '--port', String(port), '--media-workers', '1', '--gst-debug-level', '1'];
  const server = pin
    ? spawn('taskset', ['-c', '0', process.execPath, ...serverArgs], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: serverEnv(batch) })
    : spawn(process.execPath, serverArgs, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'], env: serverEnv(batch) });
  const url = `ws://127.0.0.1:${port}/kurento`;
  let c: RpcClient | undefined;
  for (let i = 0; i < 100 && !c; i++) { try { c = await RpcClient.open(url); } catch { await new Promise((r) => setTimeout(r, 100)); } }
  if (!c) throw new Error('Fluo did not start');
  const sid = (await c.ok('connect')).sessionId!;
  const peers = new RemotePeers();
  let ffmpeg: ChildProcess | undefined;
  const subsProc = fork(fileURLToPath(new URL('./sfuSubscribers.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((r) => subsProc.once('message', r));
  try {
    console.log(`# Fluo SFU benchmark: ${os.cpus().length} cores (${os.cpus()[0]?.model}), node ${process.version}; Fluo with 1 media worker, batched sends ${batch ? 'on' : 'off (FLUO_BATCH=0)'}${pin ? ', its whole process pinned to CPU 0 and the rest to the other CPUs' : ''}; publisher ${publisherKind === 'rtp' ? 'ffmpeg replaying VP8 640x480@30 1.5 Mbps + Opus into an RtpEndpoint' : `wrtc VP8 640x480@30${noisy ? ' (half the picture noise)' : ''} + Opus into a WebRtcEndpoint`}; subscribers werift counting SRTP packets at the socket, in another process; loopback; ${seconds} s per step`);
    const fresh = await firstProcessOffer(c, sid);
    console.log(`first call on a fresh server: processOffer ${fresh.processOfferMs.toFixed(0)} ms (create pipeline + endpoint + processOffer ${fresh.totalMs.toFixed(0)} ms; target < 100 ms)`);
    // Memory per idle endpoint.
    const P0 = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
    await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P0 }, sessionId: sid });
    await new Promise((r) => setTimeout(r, 1000));
    const m0 = rssMb(server.pid!);
    const idle = 200;
    for (let i = 0; i < idle; i++) {
      const e = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P0 }, sessionId: sid })).value as string;
      await c.ok('invoke', { object: e, operation: 'generateOffer', sessionId: sid });
    }
    await new Promise((r) => setTimeout(r, 1000));
    const perIdle = ((rssMb(server.pid!) - m0) * 1024) / idle;
    await c.ok('release', { object: P0, sessionId: sid });
    console.log(`memory per idle WebRtcEndpoint (after generateOffer): ${perIdle.toFixed(0)} KiB (RSS delta over ${idle})`);

    const P = (await c.ok('create', { type: 'MediaPipeline', sessionId: sid })).value as string;
    let pub: string;
    if (publisherKind === 'rtp') {
      const p = await rtpPublisher(c, sid, P);
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
    let total = 0;
    let best: Summary | undefined;
    /** Video bytes Fluo received from the publisher (its inbound stats). */
    const pubVideoBytes = async (): Promise<number> => {
      const st = (await c.ok('invoke', { object: pub, operation: 'getStats', operationParams: { mediaType: 'VIDEO' }, sessionId: sid })).value as Record<string, Record<string, unknown>>;
      return Number(Object.values(st).find((x) => x.type === 'inboundrtp')?.bytesReceived ?? 0);
    };
    // The kernel share is mostly sendmsg; on loopback it also carries the receiving
    // side's kernel work (delivery to the subscriber's socket, waking its process).
    // Kernel drops (receive/send buffers full) anywhere in the namespace tell loss at the
    // sockets from loss inside a process; the subscribers' CPU says if the load generator
    // was the limit.
    // Cost: Fluo's process CPU plus softirq; with --pin, CPU 0's busy time (see kernelTicks).
    console.log(`subscribers  forwarded pkt/s  Fluo CPU %core  softirq %core  ${pin ? 'CPU 0 busy %  ' : ''}µs/forwarded pkt: cost [Fluo user, kernel; softirq]  loss %  first packet / first whole keyframe ms (new subs, median)  publisher video kbps  subscribers CPU %core  kernel UDP drops rcv/snd`);
    for (const n of steps) {
      const times = (await ask(subsProc, { op: 'add', url, pipeline: P, source: pub, count: n - total })) as number[];
      const added = { from: total, to: n };
      total = n;
      await new Promise((r) => setTimeout(r, 2000));
      // Printed before the window, so an outside profiler (perf record -p) can attach to it.
      console.error(`# ${n} subscribers connected; measuring for ${seconds} s`);
      const before = (await ask(subsProc, { op: 'counts' })) as Array<{ packets: number; expected: number }>;
      const bytes0 = await pubVideoBytes();
      const cpu0 = cpuSeconds(server.pid!);
      const sub0 = cpuSeconds(subsProc.pid!);
      const drops0 = udpDrops();
      const k0 = kernelTicks();
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const after = (await ask(subsProc, { op: 'counts' })) as Array<{ packets: number; expected: number }>;
      const cpu1 = cpuSeconds(server.pid!);
      const sub1 = cpuSeconds(subsProc.pid!);
      const drops1 = udpDrops();
      const k1 = kernelTicks();
      const user = cpu1.user - cpu0.user;
      const sys = cpu1.sys - cpu0.sys;
      const cpu = user + sys;
      const elapsed = (performance.now() - t0) / 1000;
      const kbps = ((await pubVideoBytes()) - bytes0) * 8 / elapsed / 1000;
      const got = after.reduce((s, x, i) => s + x.packets - (before[i]?.packets ?? 0), 0);
      const exp = after.reduce((s, x, i) => s + x.expected - (before[i]?.expected ?? 0), 0);
      const loss = exp > 0 ? Math.max(0, (exp - got) / exp) * 100 : 0;
      const median = (xs: number[]): number => {
        const finite = xs.filter(Number.isFinite).sort((a, b) => a - b);
        return finite[Math.floor(finite.length / 2)] ?? NaN;
      };
      const firstPacket = median(times);
      const firstFrame = median((await ask(subsProc, { op: 'frames', ...added })) as number[]);
      const softirq = k1.softirq - k0.softirq;
      const cost = pin ? k1.cpu0Busy - k0.cpu0Busy : cpu + softirq;
      const us = (x: number): string => ((x * 1e6) / Math.max(got, 1)).toFixed(1);
      console.log([
        String(n).padStart(11), (got / elapsed).toFixed(0).padStart(15), ((cpu / elapsed) * 100).toFixed(0).padStart(14),
        ((softirq / elapsed) * 100).toFixed(0).padStart(13), ...(pin ? [((cost / elapsed) * 100).toFixed(0).padStart(12)] : []),
        `${us(cost)} [${us(user)}, ${us(sys)}; ${us(softirq)}]`.padStart(47), loss.toFixed(2).padStart(6),
        `${firstPacket.toFixed(0)} / ${firstFrame.toFixed(0)}`.padStart(44), kbps.toFixed(0).padStart(20),
        ((100 * (sub1.user + sub1.sys - sub0.user - sub0.sys)) / elapsed).toFixed(0).padStart(21),
        `${drops1.rcvbuf - drops0.rcvbuf}/${drops1.sndbuf - drops0.sndbuf}`.padStart(25),
      ].join('  '));
      if (loss > 1 || cost / elapsed > 0.97) { console.log(`# stopped: ${loss > 1 ? 'loss over 1%' : 'the media worker core is saturated'}`); break; }
      const batched = await batchedShare(port);
      if (batched) console.log(`# sent in batches so far: ${batched}`);
      best = { n, perCore: n / (cost / elapsed), usPerPacket: (cost * 1e6) / Math.max(got, 1) };
    }
    // Subscribers one core would carry at the cost per subscriber of the largest step
    // without loss (Fluo's whole process: media worker, main thread, GC helpers; and the
    // softirq time its sending caused, see kernelTicks).
    if (best) console.log(`subscriber streams per core (at ${best.n} subscribers, ${pin ? "CPU 0's busy time" : "Fluo's CPU + the machine's softirq"}): ${best.perCore.toFixed(0)}`);
    if (idleSeconds > 0) {
      await c.ok('release', { object: P, sessionId: sid });
      await new Promise((r) => setTimeout(r, idleSeconds * 1000));
      const after = await firstProcessOffer(c, sid);
      console.log(`first call after ${idleSeconds} s without calls: processOffer ${after.processOfferMs.toFixed(0)} ms (create pipeline + endpoint + processOffer ${after.totalMs.toFixed(0)} ms; target < 100 ms)`);
    }
    return best;
  } finally {
    peers.stop();
    ffmpeg?.kill('SIGKILL');
    subsProc.kill('SIGKILL');
    server.kill('SIGINT');
    await c.close();
    // The next run (--compare-batch) may bind the same single port.
    if (server.exitCode === null) await new Promise((r) => { server.once('exit', r); setTimeout(r, 5000).unref(); });
  }
}

/** What /metrics says of batched sends: copies per native call and the share of WebRTC packets. */
async function batchedShare(port: number): Promise<string | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const sum = (name: string, label = ''): number => text.split('\n').filter((l) => l.startsWith(name) && l.includes(label)).reduce((a, l) => a + Number(l.split(' ').pop()), 0);
  const calls = sum('fluo_rtp_send_batches_total');
  const copies = sum('fluo_rtp_batched_packets_total');
  const all = sum('fluo_rtp_packets_sent_total', 'transport="webrtc"');
  return calls ? `${((100 * copies) / Math.max(all, 1)).toFixed(1)}% of WebRTC packets, ${(copies / calls).toFixed(1)} copies per call` : undefined;
}

function serverEnv(batch: boolean): NodeJS.ProcessEnv {
  return { ...process.env, FLUO_BATCH: batch ? '1' : '0' };
}

async function run(): Promise<void> {
  if (!process.argv.includes('--compare-batch')) {
    await main();
    return;
  }
  const on = await main(true);
  const off = await main(false);
  if (on && off) {
    console.log(`batched sends: ${on.usPerPacket.toFixed(2)} µs/pkt at ${on.n} subscribers against ${off.usPerPacket.toFixed(2)} without at ${off.n} (ratio ${(on.usPerPacket / off.usPerPacket).toFixed(2)}); streams per core ${on.perCore.toFixed(0)} against ${off.perCore.toFixed(0)}`);
  }
}

run().catch((e) => { console.error(e); process.exit(1); });
