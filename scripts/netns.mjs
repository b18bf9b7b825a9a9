#!/usr/bin/env node
// Runs a command inside a private network namespace with only `lo` up (as root), so a
// benchmark's media never leaves the machine; elsewhere it runs the command as it is.
import { spawnSync } from 'node:child_process';

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  console.error('usage: node scripts/netns.mjs <command> [args...]');
  process.exit(2);
}
const inNs = process.getuid?.() === 0 && spawnSync('unshare', ['-n', 'true']).status === 0;
const r = inNs
  ? spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', cmd, ...args], { stdio: 'inherit' })
  : spawnSync(cmd, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
