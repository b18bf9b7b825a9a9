#!/usr/bin/env node
// The whole test suite: the type check (beside the heavy lane) and every test/**/*.test.ts with node's test runner.
// Media tests must never send packets off the machine, so when we can (root + unshare),
// the suite re-runs itself inside a private network namespace with only `lo` up.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);

if (!process.env.FLUO_IN_NETNS && process.getuid?.() === 0 && !args.includes('--no-netns')) {
  const probe = spawnSync('unshare', ['-n', 'true']);
  if (probe.status === 0) {
    const inner = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, ...process.argv.slice(1)], {
      stdio: 'inherit', env: { ...process.env, FLUO_IN_NETNS: '1' }, cwd: root,
    });
    process.exit(inner.status ?? 1);
  }
  console.log('# unshare -n not available: running on the host network (loopback only)');
}

// --single-port: the run in single-port mode (issue 14 item 1): every media worker's
// WebRtcEndpoints share one UDP port from 41000 up; tests of what only per-endpoint ports
// have skip (test/helpers/fluo.ts SINGLE_PORT).
if (args.includes('--single-port')) process.env.FLUO_WEBRTC_PORT ??= '41000';
// --spread: every MediaPipeline spreads over the media workers from its second
// WebRtcEndpoint on (issue 14 item 6: pipes between workers are transparent).
if (args.includes('--spread')) process.env.FLUO_PIPELINE_SPREAD ??= '1';

const started = Date.now();
// The type check (about 9 s of one core) runs after the files that wait beside the heavy
// lane, whose own files leave most of a core idle: beside the light lane, which keeps
// both cores busy, it had made that lane 10.8 s longer (69.1 -> 79.9 s, one run each).
const typecheck = () => (args.includes('--no-typecheck') ? Promise.resolve(undefined) : new Promise((resolve) => {
  const at = Date.now();
  const tsc = spawn(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: ['ignore', 'pipe', 'pipe'], cwd: root });
  let output = '';
  for (const stream of [tsc.stdout, tsc.stderr]) stream.on('data', (d) => { output += d; });
  tsc.on('close', (code) => resolve({ status: code ?? 1, output, seconds: (Date.now() - at) / 1000 }));
}));

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = args.filter((a) => !a.startsWith('--'));
let files = findTests(join(root, 'test')).sort();
if (filters.length) files = files.filter((f) => filters.some((x) => relative(root, f).includes(x)));
// Two lanes. Tests of the protocol, configuration and pure cores start servers but no
// media engine, browser or real-time stream: their files run three at a time (about
// 55 s instead of 97 s on 2 cores). Media, engine, filter, hub and tutorial tests run one
// file at a time: they measure frame rates and timings that a neighbour's load would
// disturb.
const LIGHT = ['unit', 'api', 'config', 'client', 'fiware', 'fuzz', 'hardening', 'protocol'].map((d) => join(root, 'test', d) + '/');
// Light files that bound a client's latency while a hostile one hammers the server run
// in the one-at-a-time lane: beside two other files on 2 cores, the scheduler alone
// doubled their p99 (a CI run measured defect 7's over 50 ms that way).
const LATENCY = ['test/hardening/frames.test.ts', 'test/fuzz/jsonrpc.test.ts'].map((f) => join(root, f));
const light = files.filter((f) => LIGHT.some((d) => f.startsWith(d)) && !LATENCY.includes(f));
// Files that mostly wait run beside the heavy lane, one at a time: each used under half a
// core on average when run alone (user+sys over wall time: 0.17-0.45, where the heavy
// lane's files use 0.5-1.3), and their bounds are seconds wide (a 30 s ICE consent
// timeout, EndOfStream within 2.5 s, an IDR within 1 s, processes started by
// ./services); so do the engine's own files (2-9 s each, one engine process, no peers).
// (http-post, 0.42 alone, missed its EndOfStream bound beside the heavy lane once: not here.)
// Measured per file with /usr/bin/time; CI's suite went from 1013-1045 s to about 940 s,
// then (with bundles built once per tree and workers started without tsx) to 840 s.
// So do three more whose bounds are seconds wide (0.44-0.60 alone): a lossy link's
// NACKs and RTX (frames every second), DTLS flights lost (frames within 15 s), HTTP and
// RTSP players (EndOfStream within 8 s); about 30 s of the heavy lane, whose files leave
// most of a core idle once the others here are done. (The recorder tutorial, 0.57
// alone but transcoding to H.264 in bursts, was tried here: beside it two Composite and
// face-detection tutorials of the heavy lane took 3-4 times as long in CI.)
const WAITING = [
  'test/media/peer-vanishes.test.ts', 'test/examples/services.test.ts', 'test/examples/tutorials.test.ts',
  'test/media/webrtc-loopback.test.ts', 'test/media/player.test.ts',
  'test/media/lossy-link.test.ts', 'test/media/dtls-handshake-loss.test.ts', 'test/media/player-network.test.ts',
].map((f) => join(root, f));
const waiting = files.filter((f) => WAITING.includes(f) || f.startsWith(join(root, 'test', 'engine') + '/'));
const heavy = files.filter((f) => !light.includes(f) && !waiting.includes(f));
// --test-force-exit: a test file whose test failed before its cleanup (a peer, a server
// left running) must not hang the suite until CI's timeout; it also ends the idle
// wait of kurento-client's 20 s duplicate timers. Leaks are asserted by the tests
// themselves (registry, sockets, workers), not by the process lingering.
// `held`: the lane's output is kept and handed back instead of printed as it comes.
function lane(list, concurrency, held = false) {
  if (!list.length) return Promise.resolve({ status: 0, output: '' });
  const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-force-exit', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...list.map((f) => relative(root, f))], {
    stdio: held ? ['ignore', 'pipe', 'pipe'] : 'inherit', cwd: root, env: { ...process.env },
  });
  let output = '';
  if (held) for (const stream of [child.stdout, child.stderr]) stream.on('data', (d) => { output += d; });
  return new Promise((resolve) => child.on('close', (code) => resolve({ status: code ?? 1, output })));
}
const lightStarted = Date.now();
const lightStatus = (await lane(light, 3)).status;
if (light.length) console.log(`# ${light.length} protocol, configuration and unit test files in ${((Date.now() - lightStarted) / 1000).toFixed(1)} s (three at a time)`);
// The waiting lane's output is held and printed after the heavy lane's, unmixed.
const waitingRun = lane(waiting, 1, true);
const checking = waitingRun.then(typecheck);
const heavyStatus = (await lane(heavy, 1)).status;
const waited = await waitingRun;
if (waiting.length) process.stdout.write(`# beside the heavy lane: ${waiting.map((f) => relative(root, f)).join(', ')}\n${waited.output}`);
const checked = await checking;
if (checked) {
  process.stdout.write(checked.output);
  console.log(checked.status === 0 ? `# type-check ok (${checked.seconds.toFixed(1)} s, beside the heavy lane)` : '# type-check failed');
}
console.log(`# suite finished in ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(lightStatus || heavyStatus || waited.status || (checked?.status ?? 0));
