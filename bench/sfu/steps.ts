/**
 * The SFU benchmark's measurement, the same for Fluo and for Janus: subscribers added
 * step by step (by the subscribers' child process, bench/sfuSubscribers.ts), then, for
 * `seconds`, the server's CPU (its threads in user space and kernel; softirq; with --pin
 * CPU 0's busy time, which is the whole cost), packets forwarded and lost, the new
 * subscribers' first packet and first whole keyframe, and the server's memory per
 * subscriber.
 */
import type { ChildProcess } from 'node:child_process';
import { cpuSeconds, kernelTicks, rssMb, udpDrops } from './proc.ts';

export interface FirstPackets { answer: number[]; start: number[] }

export interface StepTarget {
  /** The server's process. */
  pid: number;
  /** Asks the subscribers' process for `count` more subscribers. */
  add(count: number): Promise<FirstPackets>;
  /** Video bytes the server received from the publisher so far, where it tells. */
  publisherBytes?(): Promise<number>;
  /** Printed after each step (e.g. what /metrics says of batched sends). */
  note?(): Promise<string | undefined>;
}

export interface StepResult {
  n: number;
  usPerPacket: number;
  perCore: number;
  loss: number;
  firstPacketFromAnswer: number;
  firstPacketFromStart: number;
  firstFrame: number;
  rssPerSubscriberKiB: number;
}

export function ask(child: ChildProcess, msg: Record<string, unknown>): Promise<unknown> {
  const id = Math.random();
  return new Promise((resolve, reject) => {
    const on = (m: { id?: number; value?: unknown }): void => {
      if (m.id !== id) return;
      child.off('message', on);
      const v = m.value as { error?: string } | undefined;
      if (v && typeof v === 'object' && !Array.isArray(v) && typeof v.error === 'string') reject(new Error(v.error));
      else resolve(m.value);
    };
    child.on('message', on);
    child.send({ ...msg, id });
  });
}

const median = (xs: number[]): number => {
  const finite = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return finite[Math.floor(finite.length / 2)] ?? NaN;
};

export async function runSteps(o: { target: StepTarget; subscribers: ChildProcess; steps: number[]; seconds: number; pin: boolean; stopOnLoss?: boolean; cores?: number }): Promise<StepResult[]> {
  const { target, subscribers, seconds, pin } = o;
  const results: StepResult[] = [];
  const rss0 = rssMb(target.pid);
  let total = 0;
  // The kernel share is mostly sendmsg; on loopback it also carries the receiving
  // side's kernel work (delivery to the subscriber's socket, waking its process).
  // Kernel drops (receive/send buffers full) anywhere in the namespace tell loss at the
  // sockets from loss inside a process; the subscribers' CPU says if the load generator
  // was the limit.
  console.log(`subscribers  forwarded pkt/s  server CPU %core  softirq %core  ${pin ? 'CPU 0 busy %  ' : ''}µs/forwarded pkt: cost [user, kernel; softirq]  loss %  first packet from answer / from start / first whole keyframe ms (new subs, median)  publisher video kbps  subscribers CPU %core  kernel UDP drops rcv/snd  RSS KiB/subscriber`);
  for (const n of o.steps) {
    const times = await target.add(n - total);
    const added = { from: total, to: n };
    total = n;
    await new Promise((r) => setTimeout(r, 2000));
    // Printed before the window, so an outside profiler (perf record -p) can attach to it.
    console.error(`# ${n} subscribers connected; measuring for ${seconds} s`);
    const before = (await ask(subscribers, { op: 'counts' })) as Array<{ packets: number; expected: number }>;
    const bytes0 = await target.publisherBytes?.();
    const cpu0 = cpuSeconds(target.pid);
    const sub0 = cpuSeconds(subscribers.pid!);
    const drops0 = udpDrops();
    const k0 = kernelTicks();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const after = (await ask(subscribers, { op: 'counts' })) as Array<{ packets: number; expected: number }>;
    const cpu1 = cpuSeconds(target.pid);
    const sub1 = cpuSeconds(subscribers.pid!);
    const drops1 = udpDrops();
    const k1 = kernelTicks();
    const user = cpu1.user - cpu0.user;
    const sys = cpu1.sys - cpu0.sys;
    const cpu = user + sys;
    const elapsed = (performance.now() - t0) / 1000;
    const bytes1 = bytes0 === undefined ? undefined : await target.publisherBytes?.();
    const kbps = bytes0 === undefined || bytes1 === undefined ? undefined : ((bytes1 - bytes0) * 8) / elapsed / 1000;
    const got = after.reduce((s, x, i) => s + x.packets - (before[i]?.packets ?? 0), 0);
    const exp = after.reduce((s, x, i) => s + x.expected - (before[i]?.expected ?? 0), 0);
    const loss = exp > 0 ? Math.max(0, (exp - got) / exp) * 100 : 0;
    const firstFrame = median((await ask(subscribers, { op: 'frames', ...added })) as number[]);
    const softirq = k1.softirq - k0.softirq;
    const cost = pin ? k1.cpu0Busy - k0.cpu0Busy : cpu + softirq;
    const rssPerSub = ((rssMb(target.pid) - rss0) * 1024) / n;
    const us = (x: number): string => ((x * 1e6) / Math.max(got, 1)).toFixed(1);
    const result: StepResult = {
      // Streams per core of Fluo's whole cost: with several workers, the cost is their sum.
      n, usPerPacket: (cost * 1e6) / Math.max(got, 1), perCore: n / (cost / elapsed), loss,
      firstPacketFromAnswer: median(times.answer), firstPacketFromStart: median(times.start), firstFrame, rssPerSubscriberKiB: rssPerSub,
    };
    console.log([
      String(n).padStart(11), (got / elapsed).toFixed(0).padStart(15), ((cpu / elapsed) * 100).toFixed(0).padStart(16),
      ((softirq / elapsed) * 100).toFixed(0).padStart(13), ...(pin ? [((cost / elapsed) * 100).toFixed(0).padStart(12)] : []),
      `${us(cost)} [${us(user)}, ${us(sys)}; ${us(softirq)}]`.padStart(41), loss.toFixed(2).padStart(6),
      `${result.firstPacketFromAnswer.toFixed(0)} / ${result.firstPacketFromStart.toFixed(0)} / ${firstFrame.toFixed(0)}`.padStart(83),
      (kbps === undefined ? '-' : kbps.toFixed(0)).padStart(20),
      ((100 * (sub1.user + sub1.sys - sub0.user - sub0.sys)) / elapsed).toFixed(0).padStart(21),
      `${drops1.rcvbuf - drops0.rcvbuf}/${drops1.sndbuf - drops0.sndbuf}`.padStart(25), rssPerSub.toFixed(0).padStart(18),
    ].join('  '));
    const note = await target.note?.();
    if (note) console.log(`# ${note}`);
    results.push(result);
    if ((loss > 1 && o.stopOnLoss !== false) || cost / elapsed > 0.97 * (o.cores ?? 1)) {
      // The step stays in the results (with its loss) for the side-by-side table; the
      // per-core figure is taken from the last step without loss.
      console.log(`# stopped: ${loss > 1 ? 'loss over 1%' : 'the server core is saturated'}`);
      break;
    }
  }
  return results;
}
