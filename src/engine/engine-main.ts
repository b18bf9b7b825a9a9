/**
 * Entry of an engine child process (spawned by EngineProcess): GStreamer through node-gtk,
 * driven over JSON lines on fd 3 (protocol.ts). Knows nothing of Kurento.
 *
 * Lifetime: the child exits when its control channel closes, whatever the reason (the
 * parent's stop, its crash, its SIGKILL): Node offers no prctl(PR_SET_PDEATHSIG), the
 * pipe is the mechanism (engine-host-notes). The channel is also the live libuv handle
 * that lets node-gtk's cross-thread callbacks run.
 */
import { Socket } from 'node:net';
import { ENGINE_CONTROL_FD } from './protocol.ts';
import type { EngineOp, FromEngine, ToEngine } from './protocol.ts';
import { EngineError } from './EngineError.ts';
import { EngineHost } from './EngineHost.ts';
import { GLib, Gst } from './gst.ts';
import { splitLines } from './lines.ts';

const started = Date.now();
const channel = new Socket({ fd: ENGINE_CONTROL_FD, readable: true, writable: true });
let closing = false;

function send(m: FromEngine): void {
  if (!closing && channel.writable) channel.write(`${JSON.stringify(m)}\n`);
}

const host = new EngineHost((event) => send({ t: 'event', event }));
const loop = GLib.MainLoop.new(null, false);

async function shutdown(code: number): Promise<void> {
  if (closing) return;
  // Pipelines to NULL so sinks flush (a recording gets its last buffers), with a bound:
  // a wedged element must not keep an orphan alive.
  setTimeout(() => process.exit(code), 1500).unref();
  try { await host.stopAll(); } catch { /* exiting anyway */ }
  closing = true;
  channel.end(() => { loop.quit(); process.exit(code); });
}

/**
 * A removed element is finalized only once the garbage collector drops its node-gtk
 * wrapper, and some hold a descriptor until then (udpsink's cancellable eventfd: one per
 * filter output or transcoder, 213 after 200 filter cycles). A collection shortly after
 * removals (the child runs with --expose-gc) gives them back; batched, as each costs a
 * few milliseconds of the JS thread.
 */
let collecting: NodeJS.Timeout | undefined;
function collectSoon(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc || collecting) return;
  collecting = setTimeout(() => {
    collecting = undefined;
    // Wrappers are released by weak callbacks that run after a collection, and what they
    // held goes in a later one: a few passes, spread out.
    for (const at of [0, 100, 300, 700]) setTimeout(gc, at).unref();
  }, 200);
  collecting.unref();
}

// Requests run one at a time: removeBin's quiesce waits 50 ms, and no other operation may
// touch the pipeline in between. `ping` skips the queue so the heartbeat measures the JS
// thread, not the queue.
let queue: Promise<void> = Promise.resolve();

async function run(req: ToEngine): Promise<unknown> {
  switch (req.op) {
    case 'ping': return { pid: process.pid, pipelines: host.pipelineCount, uptimeMs: Date.now() - started };
    case 'addBin': return host.addBin(req.args);
    case 'removeBin': return host.removeBin(req.args).finally(collectSoon);
    case 'removePipeline': return host.removePipeline(req.args).finally(collectSoon);
    case 'link': return host.link(req.args);
    case 'unlink': return host.unlink(req.args);
    case 'setProperty': return host.setProperty(req.args);
    case 'getProperty': return host.getProperty(req.args);
    case 'action': return host.action(req.args);
    case 'keyframe': return host.keyframe(req.args);
    case 'dot': return host.dot(req.args);
    case 'stats': {
      const mem = process.memoryUsage();
      const cpu = process.cpuUsage();
      return {
        process: { pid: process.pid, rssBytes: mem.rss, cpuUserUs: cpu.user, cpuSystemUs: cpu.system, uptimeMs: Date.now() - started },
        pipelines: host.stats(req.args ?? {}),
      };
    }
    case 'stop': return {};
    default: throw new EngineError('BAD_REQUEST', `unknown op ${JSON.stringify((req as { op: unknown }).op)}`);
  }
}

async function answer(req: ToEngine): Promise<void> {
  try {
    const result = await run(req);
    send({ t: 'res', id: req.id, ok: true, result: result as never });
  } catch (e) {
    const failure = e instanceof EngineError ? e.toFailure() : { code: 'ENGINE_ERROR' as const, message: (e as Error)?.message ?? String(e) };
    send({ t: 'res', id: req.id, ok: false, error: failure });
  }
  if (req.op === 'stop') await shutdown(0);
}

const QUEUE_FREE: ReadonlySet<EngineOp> = new Set(['ping']);

channel.on('data', splitLines((line) => {
  let req: ToEngine;
  try {
    req = JSON.parse(line) as ToEngine;
  } catch {
    return; // not ours to answer: no id to answer to
  }
  if (typeof req?.id !== 'number') return;
  if (QUEUE_FREE.has(req.op)) void answer(req);
  else queue = queue.then(() => answer(req));
}));
channel.on('end', () => void shutdown(0));
channel.on('close', () => void shutdown(0));
channel.on('error', () => void shutdown(0));

send({ t: 'ready', pid: process.pid, gstVersion: (Gst.version() as number[]).slice(0, 3).join('.') });
// node-gtk nests libuv inside GLib's loop while it runs: the bus signal watch needs it
// (engine-host-notes: node-gtk 4.x has no startLoop()).
setImmediate(() => loop.run());
