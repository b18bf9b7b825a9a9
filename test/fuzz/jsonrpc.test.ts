/**
 * The JSON-RPC surface under 100,000 generated frames over 4 connections (issue 16):
 * plausible requests with wrong types and names, notifications, batches, random JSON,
 * deep nesting, mutated bytes. Every well-formed request is answered with its id, a
 * well-behaved client keeps its latency meanwhile, and the server's memory comes back
 * near its start once the fuzzers' sessions are collected. Seeded: a failure reproduces.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import { startFluo, RpcClient, sleep } from '../helpers/fluo.ts';
import { inChildProcess, scheduledLatencies, percentile, machineOverloaded } from '../helpers/hostile.ts';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const MiB = 1024 * 1024;
const FUZZ = fileURLToPath(new URL('../helpers/fuzz.ts', import.meta.url));

test('100,000 generated frames on 4 connections: all well-formed requests answered, p99 kept, memory back', async (t) => {
  const fluo = await startFluo((c) => ({ ...c, resources: { ...c.resources, maxObjectsPerConnection: 20, maxSessionsPerConnection: 50 } }));
  const c = await RpcClient.open(fluo.url);
  try {
    await c.ok('ping');
    gc();
    const before = process.memoryUsage();
    const quiet = await scheduledLatencies(() => c.request('ping'), sleep(1000), 10);
    const fuzz = inChildProcess(fluo.url, `
      const { WebSocket: WS } = await import('ws');
      const { rng, jsonRpcFrame } = await import(${JSON.stringify(FUZZ)});
      const PER = 25000, CHUNK = 50;
      const run = async (k) => {
        const r = rng(1000 + k);
        const sessionIds = ['s' + k + 'a', 's' + k + 'b', 'x'.repeat(200), ''];
        let ws, answered = new Set(), closes = 0, missing = 0, frames = 0;
        let waiting;
        const open = async () => {
          ws = new WS(${JSON.stringify(fluo.url)}, { perMessageDeflate: false });
          ws.on('message', (d) => {
            let m; try { m = JSON.parse(d.toString()); } catch { return; }
            for (const a of Array.isArray(m) ? m : [m]) if (a && typeof a.id === 'string') answered.add(a.id);
            if (waiting && answered.has(waiting.id)) { const w = waiting; waiting = undefined; w.resolve(); }
          });
          ws.on('close', () => { closes++; if (waiting) { const w = waiting; waiting = undefined; w.resolve(); } });
          await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
        };
        await open();
        for (let n = 0; n < PER; n += CHUNK) {
          if (ws.readyState !== WS.OPEN) await open();
          const expected = [];
          for (let i = n; i < n + CHUNK; i++) {
            const f = jsonRpcFrame(r, k + ':', i, sessionIds);
            if (f.expectId) expected.push(f.expectId);
            ws.send(i % 50 === 7 ? Buffer.from(f.text) : f.text, { binary: i % 50 === 7 });
            frames++;
          }
          const id = 'sentinel-' + k + '-' + n;
          await new Promise((resolve) => { waiting = { id, resolve }; ws.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'ping' })); });
          for (const e of expected) if (!answered.has(e)) missing++;
          answered = new Set();
          await new Promise((res) => setTimeout(res, 10)); // heavy, not saturating: the server keeps some idle time
        }
        ws.close();
        return { frames, missing, closes };
      };
      console.log('ready');
      const results = await Promise.all([0, 1, 2, 3].map(run));
      console.log(JSON.stringify(results));
    `, 60_000, { typescript: true });
    await fuzz.ready;
    const t0 = Date.now();
    const lat = await scheduledLatencies(() => c.request('ping'), fuzz.done, 10);
    const seconds = (Date.now() - t0) / 1000;
    const results = JSON.parse((await fuzz.done).trim().split('\n').at(-1)!) as Array<{ frames: number; missing: number; closes: number }>;
    // The machine is shared: its own noise is measured before and after, the worse counts.
    const quietAfter = await scheduledLatencies(() => c.request('ping'), sleep(1000), 10);
    const noise = Math.max(percentile(quiet, 99), percentile(quietAfter, 99));
    const frames = results.reduce((s, x) => s + x.frames, 0);
    const show = (xs: number[]): string => `p50 ${percentile(xs, 50).toFixed(1)} ms, p99 ${percentile(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
    console.log(`# ${frames} frames in ${seconds.toFixed(1)} s; a well-behaved client's pings (one per 10 ms): ${show(lat)}; alone, before: ${show(quiet)}, after: ${show(quietAfter)}`);
    assert.ok(frames >= 100_000);
    assert.deepEqual(results.map((x) => x.missing), [0, 0, 0, 0], 'a well-formed request went unanswered');
    assert.deepEqual(results.map((x) => x.closes), [0, 0, 0, 0], 'the server closed a fuzzing connection');
    // A coarse bound: on the shared 2-core test machine this run is 5-15 s of CPU
    // contention with the fuzzers' own process, which preempts the server for tens of
    // milliseconds whatever it does (trivial frames measured 40 ms). Measured: p99
    // 27-70 ms; without the per-connection time slices 91-153 ms; before issue 16,
    // seconds. The strict 50 ms check of one hostile frame is test/hardening/frames.
    const load = machineOverloaded();
    if (load !== undefined) t.diagnostic(`machine overloaded (load average ${load.toFixed(1)}): p99 not checked`);
    else assert.ok(percentile(lat, 99) < 100 + noise, `p99 ${percentile(lat, 99).toFixed(1)} ms`);

    // The fuzzers' sessions expire after two collector rounds; their objects go with them.
    fluo.server.collectGarbage();
    fluo.server.collectGarbage();
    assert.equal(fluo.server.router.mediaSet.size, 1, 'only the ServerManager is left');
    await sleep(200);
    gc();
    const after = process.memoryUsage();
    const heap = (after.heapUsed - before.heapUsed) / MiB;
    const rss = (after.rss - before.rss) / MiB;
    console.log(`# after the fuzz and the collection: heap used ${heap.toFixed(1)} MiB, RSS ${rss.toFixed(1)} MiB more than before`);
    // The heap is what a leak would grow; V8 keeps some of the pages it grew into (RSS).
    assert.ok(heap < 16, `heap grew by ${heap.toFixed(1)} MiB`);
    assert.ok(rss < 100, `RSS grew by ${rss.toFixed(1)} MiB`);
    assert.equal((await c.request('ping')).result?.value, 'pong');
  } finally {
    await c.close();
    await fluo.stop();
  }
});
