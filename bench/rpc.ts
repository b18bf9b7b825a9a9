/**
 * JSON-RPC benchmark: Fluo started as its own process (as in production), driven over
 * real WebSockets on loopback. Prints throughput and latency with the conditions.
 *   npm run bench            (or: node --import tsx bench/rpc.ts [--seconds 5])
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import net from 'node:net';
import { WebSocket } from 'ws';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 4;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

class Client {
  #next = 0;
  #waiting = new Map<number, { t0: number; resolve: (v: { result?: { value?: unknown; sessionId?: string }; error?: unknown }) => void }>();
  latencies: number[] = [];
  sessionId: string | undefined;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { id?: number; result?: { value?: unknown; sessionId?: string }; error?: unknown };
      if (m.id === undefined) return;
      const w = this.#waiting.get(m.id);
      if (!w) return;
      this.#waiting.delete(m.id);
      this.latencies.push(performance.now() - w.t0);
      w.resolve(m);
    });
  }
  static async open(url: string): Promise<Client> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
    return new Client(ws);
  }
  call(method: string, params: Record<string, unknown>): Promise<{ result?: { value?: unknown; sessionId?: string }; error?: unknown }> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#waiting.set(id, { t0: performance.now(), resolve });
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params: this.sessionId ? { ...params, sessionId: this.sessionId } : params }));
    });
  }
  async value(method: string, params: Record<string, unknown>): Promise<string> {
    const r = await this.call(method, params);
    if (r.error) throw new Error(JSON.stringify(r.error));
    this.sessionId ??= r.result?.sessionId;
    return r.result?.value as string;
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

/** Keeps `window` requests in flight on each client for `seconds`; returns ops/s. */
async function drive(clients: Client[], window: number, op: (c: Client, i: number) => Promise<unknown>): Promise<number> {
  for (const c of clients) c.latencies = [];
  let count = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(clients.flatMap((c) => Array.from({ length: window }, async (_, w) => {
    let i = w;
    while (performance.now() < end) { await op(c, i); i += window; count++; }
  })));
  return count / seconds;
}

async function main(): Promise<void> {
  const port = await freePort();
  const server = spawn(process.execPath, [...(process.env.FLUO_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.FLUO_CPU_PROF] : []), '--max-semi-space-size=32', 'src/fluo.mjs', '--port', String(port), '--gst-debug-level', '1'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `ws://127.0.0.1:${port}/kurento`;
  let one: Client | undefined;
  for (let i = 0; i < 100 && !one; i++) {
    try { one = await Client.open(url); } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  if (!one) throw new Error('server did not start');
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  console.log(`# Fluo JSON-RPC benchmark: ${os.cpus().length} cores (${cpu}), node ${process.version}, ${seconds} s per figure, server and clients on one machine over loopback`);
  const setup = async (c: Client, elements: number): Promise<string[]> => {
    const p = await c.value('create', { type: 'MediaPipeline' });
    const els: string[] = [];
    for (let i = 0; i < elements; i++) els.push(await c.value('create', { type: 'PassThrough', constructorParams: { mediaPipeline: p } }));
    return els;
  };
  const results: Record<string, string> = {};
  // 1. Sequential invokes on one connection: latency without queueing.
  const els1 = await setup(one, 1);
  await drive([one], 1, (c) => c.call('invoke', { object: els1[0], operation: 'getName' }));
  const seq = await drive([one], 1, (c) => c.call('invoke', { object: els1[0], operation: 'getName' }));
  results['invoke, 1 connection, sequential'] = `${seq.toFixed(0)} ops/s, p50 ${pct(one.latencies, 50).toFixed(3)} ms, p99 ${pct(one.latencies, 99).toFixed(3)} ms`;
  // 2. Pipelined invokes on one connection (windows 4 and 16), as clients pipeline.
  const pip4 = await drive([one], 4, (c) => c.call('invoke', { object: els1[0], operation: 'getName' }));
  results['invoke, 1 connection, 4 in flight'] = `${pip4.toFixed(0)} ops/s, p50 ${pct(one.latencies, 50).toFixed(3)} ms, p99 ${pct(one.latencies, 99).toFixed(3)} ms`;
  const pip = await drive([one], 16, (c) => c.call('invoke', { object: els1[0], operation: 'getName' }));
  results['invoke, 1 connection, 16 in flight'] = `${pip.toFixed(0)} ops/s, p50 ${pct(one.latencies, 50).toFixed(3)} ms, p99 ${pct(one.latencies, 99).toFixed(3)} ms`;
  // 3. create + invoke + release cycles on one connection.
  const pipeline = await one.value('create', { type: 'MediaPipeline' });
  const cyc = await drive([one], 8, async (c) => {
    const e = await c.value('create', { type: 'PassThrough', constructorParams: { mediaPipeline: pipeline } });
    await c.call('invoke', { object: e, operation: 'getName' });
    await c.call('release', { object: e });
  });
  results['create+invoke+release, 1 connection'] = `${cyc.toFixed(0)} cycles/s (${(cyc * 3).toFixed(0)} requests/s), p99 ${pct(one.latencies, 99).toFixed(3)} ms`;
  // 4. Eight connections, each with 200 elements, invoking across all of them.
  const eight = await Promise.all(Array.from({ length: 8 }, () => Client.open(url)));
  const sets = await Promise.all(eight.map((c) => setup(c, 200)));
  const multi = await drive(eight, 4, (c, i) => c.call('invoke', { object: sets[eight.indexOf(c)]![i % 200], operation: 'getName' }));
  const all = eight.flatMap((c) => c.latencies);
  results['invoke, 8 connections x 200 elements, 4 in flight each'] = `${multi.toFixed(0)} ops/s, p50 ${pct(all, 50).toFixed(3)} ms, p99 ${pct(all, 99).toFixed(3)} ms`;
  for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(58)} ${v}`);
  for (const c of [one, ...eight]) c.ws.close();
  server.kill('SIGINT');
}

main().catch((err) => { console.error(err); process.exit(1); });
