/**
 * Hostile clients that must not run in the test process: building and masking a 10 MB
 * frame would stall the test's own event loop and spoil the latency it measures.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';

/**
 * Runs `body` (JavaScript, an async function body with `WebSocket` and
 * `send(text)` in scope) in a child node process; resolves with what it printed.
 * `send` sends on a WebSocket to `url` (opened on first use, and again after the
 * server closed it) and resolves with the next frame's text, or `closed <code>`.
 * `ready` resolves when the body prints a line `ready` (say, once its frames are
 * built), `done` with everything else it printed when it exits. With `typescript`,
 * the body may `await import()` the repository's .ts modules (through tsx).
 */
export function inChildProcess(url: string, body: string, timeoutMs = 30_000, opts: { typescript?: boolean } = {}): { ready: Promise<void>; done: Promise<string> } {
  const script = `
    import { WebSocket } from 'ws';
    let ws;
    const open = async () => {
      ws = new WebSocket(${JSON.stringify(url)}, { perMessageDeflate: false });
      await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
    };
    const send = async (text) => {
      if (!ws || ws.readyState !== WebSocket.OPEN) await open();
      return new Promise((r) => {
        const onMessage = (d) => { ws.off('close', onClose); r(d.toString()); };
        const onClose = (code) => { ws.off('message', onMessage); r('closed ' + code); };
        ws.once('message', onMessage);
        ws.once('close', onClose);
        ws.send(text);
      });
    };
    await (async () => { ${body} })();
    ws?.terminate();
  `;
  let onReady = (): void => undefined;
  const ready = new Promise<void>((r) => { onReady = r; });
  const done = new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [...(opts.typescript ? ['--import', 'tsx'] : []), '--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^ready$/m.test(out)) {
        out = out.replace(/^ready\n/m, '');
        onReady();
      }
    });
    const t = setTimeout(() => { child.kill(); reject(new Error(`child timed out; printed: ${out}`)); }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(t);
      onReady();
      if (code === 0) resolve(out);
      else reject(new Error(`child exited with ${code}; printed: ${out}`));
    });
  });
  return { ready, done };
}

/**
 * Latencies (ms) of requests sent on a fixed schedule, one every `intervalMs`, until
 * `until` settles. Each is measured from when it was due, not from when it left: the
 * server runs in the test process, so a stalled server also delays the sender's timer,
 * and requests owed during a stall are sent late and charged the wait
 * (no "coordinated omission").
 */
export async function scheduledLatencies(request: () => Promise<unknown>, until: Promise<unknown>, intervalMs = 5): Promise<number[]> {
  const start = performance.now();
  const out: Array<Promise<number>> = [];
  let due = 0;
  const tick = (): void => {
    const now = performance.now();
    for (; start + due * intervalMs <= now; due++) {
      const at = start + due * intervalMs;
      out.push(request().then(() => performance.now() - at));
    }
  };
  const timer = setInterval(tick, intervalMs);
  await until.catch(() => undefined);
  clearInterval(timer);
  return Promise.all(out);
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}

/**
 * The 1-minute load average when it is over twice the cores, else undefined. Latency
 * bounds mean little then: the test machine is shared with other suites, and at load
 * 6-10 on 2 cores the scheduler alone holds the server 100-500 ms now and then.
 */
export function machineOverloaded(): number | undefined {
  const load = os.loadavg()[0]!;
  return load > 2 * os.availableParallelism() ? load : undefined;
}
