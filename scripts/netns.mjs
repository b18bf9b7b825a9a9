#!/usr/bin/env node
// Runs a command inside a private network namespace with only `lo` up (as root), so a
// benchmark's media never leaves the machine; elsewhere it runs the command as it is.
// With --vs-janus among the arguments (bench:sfu), the namespace also gets a veth pair,
// fluo0 (10.213.0.1/24) and fluo1, both ends in it: Janus gathers no ICE candidates on
// loopback interfaces, and this one reaches nothing outside the namespace either.
import { spawnSync } from 'node:child_process';

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  console.error('usage: node scripts/netns.mjs <command> [args...]');
  process.exit(2);
}
const inNs = process.getuid?.() === 0 && spawnSync('unshare', ['-n', 'true']).status === 0;
const janus = args.includes('--vs-janus');
if (janus && !inNs) {
  console.error('--vs-janus runs only in a private network namespace (as root, with unshare): Janus needs a non-loopback interface');
  process.exit(2);
}
const setup = janus
  ? 'ip link set lo up && ip link add fluo0 type veth peer name fluo1 && ip addr add 10.213.0.1/24 dev fluo0 && ip link set fluo1 up && ip link set fluo0 up'
  : 'ip link set lo up';
const r = inNs
  ? spawnSync('unshare', ['-n', 'sh', '-c', `${setup} && exec "$0" "$@"`, cmd, ...args], { stdio: 'inherit' })
  : spawnSync(cmd, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
