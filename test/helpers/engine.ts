import { readdirSync, readFileSync } from 'node:fs';

/**
 * The media engine processes (src/engine/engine-main.ts) that are children of `parent`
 * (this process by default: Fluo started in the test process spawns them from its media
 * workers), read from /proc.
 */
export function engineChildren(parent = process.pid): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (!/engine-main\.(ts|mjs)/.test(cmdline)) continue;
      // Field 4 of /proc/PID/stat is the parent pid (after the command in parentheses).
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) out.push(Number(name));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}
