/**
 * SFU benchmark: one publisher (libwebrtc via @roamhq/wrtc, VP8 640x480 + Opus) to N
 * subscribers (werift peers that only count packets, in another process), through a
 * Fluo server process with ONE media worker, so the figures are per core.
 *   node --import tsx bench/sfu.ts [--steps 5,10,20,40,80] [--seconds 6] [--cpu-prof DIR] [--noise]
 * Prints forwarded packets/s, Fluo CPU µs per forwarded packet, loss, first-packet
 * time, and memory per idle WebRtcEndpoint, with the conditions.
 */
import { spawn, fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { RpcClient } from '../test/helpers/fluo.ts';
import { RemotePeers } from '../test/helpers/RemotePeers.ts';

const arg = (name: string, dflt: string): string => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : dflt; };
const steps = arg('steps', '5,10,20,40,80').split(',').map(Number);
const seconds = Number(arg('seconds', '6'));
const noisy = process.argv.includes('--noise');
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
const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function freePort(): Promise<number> {
  return new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => resolve(p)); }); });
}

function ask(child: ChildProcess, msg: Record<string, unknown>): Promise<unknown> {
  const id = Math.random();
  return new Promise((resolve) => {
    const on = (m: { id?: number; value?: unknown }): void => { if (m.id === id) { child.off('message', on); resolve(m.value); } };
    child.on('message', on);
    child.send({ ...msg, id });
  });
}

async function main(): Promise<void> {
  const port = await freePort();
  // --cpu-prof DIR: V8 CPU profiles of Fluo's threads (main and media worker) into DIR.
  const prof = arg('cpu-prof', '');
  const server = spawn(process.execPath, [...(prof ? ['--cpu-prof', '--cpu-prof-dir', prof] : []), ...(process.env.BENCH_PERF ? ['--perf-basic-prof'] : []), '--max-semi-space-size=32', '--import', 'tsx', 'src/main.ts', '--port', String(port), '--media-workers', '1', '--gst-debug-level', '1'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `ws://127.0.0.1:${port}/kurento`;
  let c: RpcClient | undefined;
  for (let i = 0; i < 100 && !c; i++) { try { c = await RpcClient.open(url); } catch { await new Promise((r) => setTimeout(r, 100)); } }
  if (!c) throw new Error('Fluo did not start');
  const sid = (await c.ok('connect')).sessionId!;
  const peers = new RemotePeers();
  const subsProc = fork(fileURLToPath(new URL('./sfuSubscribers.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((r) => subsProc.once('message', r));
  try {
    console.log(`# Fluo SFU benchmark: ${os.cpus().length} cores (${os.cpus()[0]?.model}), node ${process.version}; Fluo with 1 media worker; publisher wrtc VP8 640x480@30${noisy ? ' (half the picture noise)' : ''} + Opus; subscribers werift (count only) in another process; loopback; ${seconds} s per step`);
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
    const pub = (await c.ok('create', { type: 'WebRtcEndpoint', constructorParams: { mediaPipeline: P }, sessionId: sid })).value as string;
    // KMS's defaults cap each sink at 500 kbps (maxVideoSendBandwidth) and start REMB at
    // 300 kbps: lift both so the publisher sends ~1.5 Mbps as the benchmark intends.
    await c.ok('invoke', { object: pub, operation: 'setRembParams', operationParams: { rembParams: { rembOnConnect: 1_500_000 } }, sessionId: sid });
    await c.ok('invoke', { object: pub, operation: 'setMaxVideoRecvBandwidth', operationParams: { maxVideoRecvBandwidth: 1500 }, sessionId: sid });
    // --noise: half the picture random, so the encoder spends its whole budget (~1.5 Mbps);
    // the encoder then needs most of a core, which this 2-core machine cannot spare.
    const publisher = await peers.create({ width: 640, height: 480, noise: noisy });
    await publisher.connectTo(c, pub, sid);
    await new Promise((r) => setTimeout(r, 3000));
    let total = 0;
    /** Video bytes Fluo received from the publisher (its inbound stats). */
    const pubVideoBytes = async (): Promise<number> => {
      const st = (await c.ok('invoke', { object: pub, operation: 'getStats', operationParams: { mediaType: 'VIDEO' }, sessionId: sid })).value as Record<string, Record<string, unknown>>;
      return Number(Object.values(st).find((x) => x.type === 'inboundrtp')?.bytesReceived ?? 0);
    };
    // The kernel share is mostly sendmsg; on loopback it also carries the receiving
    // side's kernel work (delivery to the subscriber's socket, waking its process).
    console.log('subscribers  forwarded pkt/s  Fluo CPU %core  µs/forwarded pkt (user + kernel)  loss %  first packet ms (new subs, median)  publisher video kbps');
    for (const n of steps) {
      const times = (await ask(subsProc, { op: 'add', url, pipeline: P, source: pub, count: n - total })) as number[];
      total = n;
      await new Promise((r) => setTimeout(r, 2000));
      // Printed before the window, so an outside profiler (perf record -p) can attach to it.
      console.error(`# ${n} subscribers connected; measuring for ${seconds} s`);
      const before = (await ask(subsProc, { op: 'counts' })) as Array<{ packets: number; expected: number }>;
      const bytes0 = await pubVideoBytes();
      const cpu0 = cpuSeconds(server.pid!);
      const t0 = performance.now();
      await new Promise((r) => setTimeout(r, seconds * 1000));
      const after = (await ask(subsProc, { op: 'counts' })) as Array<{ packets: number; expected: number }>;
      const cpu1 = cpuSeconds(server.pid!);
      const user = cpu1.user - cpu0.user;
      const sys = cpu1.sys - cpu0.sys;
      const cpu = user + sys;
      const elapsed = (performance.now() - t0) / 1000;
      const kbps = ((await pubVideoBytes()) - bytes0) * 8 / elapsed / 1000;
      const got = after.reduce((s, x, i) => s + x.packets - (before[i]?.packets ?? 0), 0);
      const exp = after.reduce((s, x, i) => s + x.expected - (before[i]?.expected ?? 0), 0);
      const loss = exp > 0 ? Math.max(0, (exp - got) / exp) * 100 : 0;
      const sorted = times.filter(Number.isFinite).sort((a, b) => a - b);
      console.log(`${String(n).padStart(11)}  ${(got / elapsed).toFixed(0).padStart(15)}  ${((cpu / elapsed) * 100).toFixed(0).padStart(14)}  ${`${((cpu * 1e6) / Math.max(got, 1)).toFixed(1)} (${((user * 1e6) / Math.max(got, 1)).toFixed(1)} + ${((sys * 1e6) / Math.max(got, 1)).toFixed(1)})`.padStart(32)}  ${loss.toFixed(2).padStart(6)}  ${(sorted[Math.floor(sorted.length / 2)] ?? NaN).toFixed(0).padStart(35)}  ${kbps.toFixed(0).padStart(20)}`);
      if (loss > 1 || cpu / elapsed > 0.97) { console.log(`# stopped: ${loss > 1 ? 'loss over 1%' : 'the media worker core is saturated'}`); break; }
    }
  } finally {
    peers.stop();
    subsProc.kill('SIGKILL');
    server.kill('SIGINT');
    await c.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
