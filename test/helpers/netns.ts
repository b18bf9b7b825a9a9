/**
 * Network-namespace guard and measuring tools for media tests.
 *
 * Media tests must never send packets off the machine (team rules). Real WebRTC stacks
 * (libwebrtc, Chromium) pick a non-loopback interface when one exists, so media tests
 * run inside `scripts/netns-run.sh` (a private network namespace with only `lo`), and
 * skip themselves anywhere else.
 */
import os from 'node:os';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const NETNS_RUN = fileURLToPath(new URL('../../scripts/netns-run.sh', import.meta.url));

/** True when no interface but loopback has an address: nothing can leave the machine. */
export function loopbackOnly(): boolean {
  return Object.values(os.networkInterfaces()).flat().every((a) => !a || a.internal);
}

/** The reason a media test must skip, or undefined when it may run. Use as `{ skip: mediaSkipReason() }`. */
export function mediaSkipReason(): string | undefined {
  if (loopbackOnly()) return undefined;
  return 'not inside a private network namespace: run through scripts/netns-run.sh';
}

/** Host addresses werift must add itself in a loopback-only namespace (it skips loopback). */
export function testHostAddresses(): string[] {
  return loopbackOnly() ? ['127.0.0.1'] : [];
}

/** Spawns a command inside its own private namespace (e.g. a peer that must not share ours). */
export function spawnInNetns(cmd: string, args: string[], opts: SpawnOptions = {}): ChildProcess {
  return spawn(NETNS_RUN, [cmd, ...args], { ...opts, env: { ...process.env, FLUO_IN_NETNS: '', ...opts.env } });
}

/** Polls `pred` every 50 ms until true; throws with `what` after `timeoutMs`. */
export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Resolves with the listener arguments of the next `name` event (or rejects after timeoutMs). */
export function nextEvent<A extends unknown[]>(
  emitter: { once(name: string, fn: (...a: A) => void): unknown; off(name: string, fn: (...a: A) => void): unknown },
  name: string, timeoutMs: number,
): Promise<A> {
  return new Promise((resolve, reject) => {
    const fn = (...a: A): void => { clearTimeout(t); resolve(a); };
    const t = setTimeout(() => { emitter.off(name, fn); reject(new Error(`no '${name}' within ${timeoutMs} ms`)); }, timeoutMs);
    emitter.once(name, fn);
  });
}

/** Counts of process.getActiveResourcesInfo() by type (UDPWRAP, Timeout, TCPWRAP, ...). */
export function activeResourceCounts(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

/** Types whose count grew from `before` to `after`, e.g. { UDPWRAP: 2 }. */
export function resourceGrowth(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) if (v > (before.get(k) ?? 0)) out[k] = v - (before.get(k) ?? 0);
  return out;
}

/** CPU time (user + system, µs) this process used between start() and stop(). */
export class CpuMeter {
  #start = process.cpuUsage();
  #t0 = performance.now();
  restart(): void {
    this.#start = process.cpuUsage();
    this.#t0 = performance.now();
  }
  /** { cpuUs, wallMs } since the last (re)start. */
  read(): { cpuUs: number; wallMs: number } {
    const d = process.cpuUsage(this.#start);
    return { cpuUs: d.user + d.system, wallMs: performance.now() - this.#t0 };
  }
}
