/** What the SFU benchmark reads of the kernel's accounting (/proc), for Fluo's or Janus's process alike. */
import fs from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICK = 100;

/** CPU seconds of a process in user space and in the kernel (its threads' utime and stime). */
export function cpuSeconds(pid: number): { user: number; sys: number } {
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
export function udpDrops(): { rcvbuf: number; sndbuf: number } {
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
export function kernelTicks(): { softirq: number; cpu0Busy: number } {
  const stat = fs.readFileSync('/proc/stat', 'utf8');
  const fields = (re: RegExp): number[] => re.exec(stat)![1]!.trim().split(/\s+/).map(Number);
  const all = fields(/^cpu (.*)$/m);
  const c0 = fields(/^cpu0 (.*)$/m);
  return { softirq: all[6]! / TICK, cpu0Busy: (c0.slice(0, 8).reduce((a, b) => a + b, 0) - c0[3]! - c0[4]!) / TICK };
}
export const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

